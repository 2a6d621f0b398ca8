using Dapper;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;

namespace Hoard.Persistence;

/// <summary>Instances' allowed networks (Trove's <c>access.allowed_cidrs</c>), as the host's rules must hold them.</summary>
public sealed class NetworkAccessStore(StateDb db, TimeProvider time)
{
    /// <summary>Live instances with an address and restricted access, oldest first: the rules the host must hold.</summary>
    public async Task<IReadOnlyList<RestrictedInstance>> ListRestrictedAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<RestrictedInstance>(
            "SELECT id, address, port, allowed_cidrs AS AllowedCidrs FROM instances WHERE deleted = 0 AND address IS NOT NULL " +
            "AND allowed_cidrs IS NOT NULL ORDER BY created, id")];
    }

    /// <summary>
    /// Store new allowed networks (null: everyone) and start the workflow that applies them, if the instance is in one
    /// of <paramref name="allowedFrom"/> and still has <paramref name="expected"/>: one transaction, so that a
    /// concurrent change is neither lost nor applied twice.
    /// </summary>
    public async Task<bool> TryBeginUpdateAsync(string id, string? expected, string? allowedCidrs, WorkflowRecord workflow,
        IReadOnlyCollection<InstanceTask> allowedFrom, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var changed = await connection.ExecuteAsync(
            "UPDATE instances SET task = @task, allowed_cidrs = @allowedCidrs, updated = @now WHERE id = @id AND deleted = 0 " +
            $"AND {db.In("task", "allowed")} AND allowed_cidrs IS NOT DISTINCT FROM @expected",
            new
            {
                id, task = nameof(InstanceTask.Updating), allowedCidrs, expected, now = Ts.Of(time.GetUtcNow()),
                allowed = allowedFrom.Select(t => t.ToString()).ToArray(),
            }, tx);
        if (changed == 0)
        {
            return false;
        }

        await WorkflowStore.InsertAsync(connection, tx, workflow);
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Put back the networks an update replaced, unless something changed them since.</summary>
    public async Task<bool> TryRevertAsync(string id, string? expected, string? allowedCidrs, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(
            "UPDATE instances SET allowed_cidrs = @allowedCidrs, updated = @now WHERE id = @id AND deleted = 0 " +
            "AND allowed_cidrs IS NOT DISTINCT FROM @expected",
            new { id, expected, allowedCidrs, now = Ts.Of(time.GetUtcNow()) }) > 0;
    }
}

/// <param name="AllowedCidrs">As <see cref="Core.Instances.AllowedCidrs.ToStored"/> wrote them.</param>
public sealed record RestrictedInstance(string Id, string Address, long Port, string AllowedCidrs);
