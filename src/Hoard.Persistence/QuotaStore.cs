using System.Data.Common;
using Dapper;

namespace Hoard.Persistence;

/// <summary>
/// Per-project quotas as Trove has them: <c>instances</c> (count), <c>ram</c> (MB of the instances' flavors),
/// <c>volumes</c> (GB) and <c>backups</c> (count); a limit of -1 means unlimited. Only the limits an admin set are
/// stored; every other resource has the operator's default. Usage is computed from live instances and backups, never
/// counted separately, so it cannot drift.
/// </summary>
public sealed class QuotaStore(StateDb db, TimeProvider time)
{
    public const string Instances = "instances";
    public const string Ram = "ram";
    public const string Volumes = "volumes";
    public const string Backups = "backups";

    public const int Unlimited = -1;

    /// <summary>The resources, in the order Trove lists them.</summary>
    public static IReadOnlyList<string> Resources { get; } = [Instances, Ram, Volumes, Backups];

    /// <summary>A project's limits: what an admin set, else <paramref name="defaults"/>.</summary>
    public async Task<IReadOnlyDictionary<string, int>> GetLimitsAsync(string projectId, IReadOnlyDictionary<string, int> defaults,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await LimitsAsync(connection, null, projectId, defaults);
    }

    public async Task<IReadOnlyDictionary<string, long>> GetUsageAsync(string projectId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await UsageAsync(connection, null, projectId);
    }

    /// <summary>Sets the given limits of a project, all or none.</summary>
    public async Task SetLimitsAsync(string projectId, IReadOnlyDictionary<string, int> limits, CancellationToken cancellationToken)
    {
        var unknown = limits.Keys.Except(Resources).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"Unknown quota resources: {string.Join(", ", unknown)}.", nameof(limits));
        }

        await using var connection = await db.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var now = Ts.Of(time.GetUtcNow());
        foreach (var (resource, limit) in limits)
        {
            await connection.ExecuteAsync(
                "INSERT INTO quotas (project_id, resource, hard_limit, updated) VALUES (@projectId, @resource, @limit, @now) " +
                "ON CONFLICT (project_id, resource) DO UPDATE SET hard_limit = excluded.hard_limit, updated = excluded.updated",
                new { projectId, resource, limit, now }, tx);
        }

        await tx.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// The resources a request for <paramref name="deltas"/> would take past their limits, sorted by name as Trove
    /// names them; empty when it fits.
    /// </summary>
    public static IReadOnlyList<string> Exceeded(IReadOnlyDictionary<string, int> limits, IReadOnlyDictionary<string, long> usage,
        IReadOnlyDictionary<string, long> deltas) =>
        [.. deltas
            .Where(d => d.Value > 0 && limits.TryGetValue(d.Key, out var limit) && limit != Unlimited &&
                        usage.GetValueOrDefault(d.Key) + d.Value > limit)
            .Select(d => d.Key)
            .Order(StringComparer.Ordinal)];

    /// <summary>What <see cref="StateDb.LockAsync"/> takes around a check of the project's quotas and the change it allows.</summary>
    internal static string LockKey(string projectId) => "quota " + projectId;

    internal static async Task<IReadOnlyDictionary<string, int>> LimitsAsync(DbConnection connection, DbTransaction? tx,
        string projectId, IReadOnlyDictionary<string, int> defaults)
    {
        var limits = Resources.ToDictionary(r => r, r => defaults.GetValueOrDefault(r, Unlimited));
        var rows = await connection.QueryAsync<(string Resource, int HardLimit)>(
            "SELECT resource, hard_limit FROM quotas WHERE project_id = @projectId", new { projectId }, tx);
        foreach (var (resource, hardLimit) in rows.Where(r => limits.ContainsKey(r.Resource)))
        {
            limits[resource] = hardLimit;
        }

        return limits;
    }

    /// <summary>
    /// What a project's live instances hold (an instance being deleted still holds its share until it is gone), and how
    /// many backups it keeps, whatever their status, until they are deleted (as Trove counts them).
    /// </summary>
    internal static async Task<IReadOnlyDictionary<string, long>> UsageAsync(DbConnection connection, DbTransaction? tx, string projectId)
    {
        var (instances, ram, volumes) = await connection.QuerySingleAsync<(long Instances, long Ram, long Volumes)>(
            "SELECT COUNT(*), CAST(COALESCE(SUM(f.ram_mb), 0) AS BIGINT), CAST(COALESCE(SUM(i.volume_size), 0) AS BIGINT) FROM instances i " +
            "LEFT JOIN flavors f ON f.id = i.flavor_id WHERE i.project_id = @projectId AND i.deleted = 0", new { projectId }, tx);
        var backups = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM backups WHERE project_id = @projectId AND deleted = 0", new { projectId }, tx);
        return new Dictionary<string, long> { [Instances] = instances, [Ram] = ram, [Volumes] = volumes, [Backups] = backups };
    }
}
