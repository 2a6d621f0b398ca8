using Dapper;
using Hoard.Core.Compute;

namespace Hoard.Persistence;

/// <summary>
/// The <c>hosts</c> table (what host agents report) and where instances were placed (<c>instances.host</c>), with what
/// placement reads: what is promised on each host, and the hosts of an instance's replication set.
/// </summary>
public sealed class HostStore(StateDb db, TimeProvider time)
{
    public const string Up = "up";
    public const string Down = "down";

    private const string Select =
        "SELECT h.id, h.name, h.address, h.ram_mb AS RamMb, h.disk_gb AS DiskGb, h.free_ram_mb AS FreeRamMb, h.free_disk_gb AS FreeDiskGb, " +
        "h.status, h.last_seen AS LastSeen, h.created, h.updated, " +
        "(SELECT COALESCE(SUM(f.ram_mb), 0) FROM instances i JOIN flavors f ON f.id = i.flavor_id WHERE i.host = h.name AND i.deleted = 0) AS AllocatedRamMb, " +
        "(SELECT COALESCE(SUM(i.volume_size), 0) FROM instances i WHERE i.host = h.name AND i.deleted = 0) AS AllocatedDiskGb " +
        "FROM hosts h";

    /// <summary>Records an agent's report: a new host, or new figures and liveness for a known one.</summary>
    public async Task ReportAsync(string name, string address, long ramMb, long diskGb, long freeRamMb, long freeDiskGb,
        CancellationToken cancellationToken)
    {
        var now = Ts.Of(time.GetUtcNow());
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            "INSERT INTO hosts (id, name, address, ram_mb, disk_gb, free_ram_mb, free_disk_gb, status, last_seen, created, updated) " +
            "VALUES (@id, @name, @address, @ramMb, @diskGb, @freeRamMb, @freeDiskGb, @up, @now, @now, @now) " +
            "ON CONFLICT (name) DO UPDATE SET address = excluded.address, ram_mb = excluded.ram_mb, disk_gb = excluded.disk_gb, " +
            "free_ram_mb = excluded.free_ram_mb, free_disk_gb = excluded.free_disk_gb, status = excluded.status, " +
            "last_seen = excluded.last_seen, updated = excluded.updated",
            new { id = Guid.NewGuid().ToString(), name, address, ramMb, diskGb, freeRamMb, freeDiskGb, up = Up, now });
    }

    /// <summary>Marks hosts silent since <paramref name="silentSince"/> down; returns their names.</summary>
    public async Task<IReadOnlyList<string>> MarkSilentDownAsync(DateTimeOffset silentSince, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        // One statement: of several servers watching the hosts, exactly one reports each host down.
        var names = (await connection.QueryAsync<string>(
            "UPDATE hosts SET status = @down, updated = @now WHERE status = @up AND (last_seen IS NULL OR last_seen < @since) " +
            "RETURNING name", new { down = Down, up = Up, since = Ts.Of(silentSince), now = Ts.Of(time.GetUtcNow()) })).ToList();
        return names;
    }

    public async Task<IReadOnlyList<HostRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<HostRecord>(Select + " ORDER BY h.name")];
    }

    public async Task<HostRecord?> GetAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<HostRecord>(Select + " WHERE h.name = @name", new { name });
    }

    /// <summary>The host an instance was placed on, deleted or not (its leftovers are released there).</summary>
    public async Task<string?> HostOfAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<string?>("SELECT host FROM instances WHERE id = @instanceId", new { instanceId });
    }

    /// <summary>
    /// Records the placement if the instance is still on <paramref name="expected"/> (null: not placed), so two
    /// placers cannot both place it; returns whether it did.
    /// </summary>
    public async Task<bool> TrySetHostAsync(string instanceId, string? expected, string host, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(
            "UPDATE instances SET host = @host, updated = @now WHERE id = @instanceId AND deleted = 0 AND host IS NOT DISTINCT FROM @expected",
            new { instanceId, host, expected, now = Ts.Of(time.GetUtcNow()) }) == 1;
    }

    /// <summary>Ids of the live instances placed on <paramref name="host"/>, oldest first.</summary>
    public async Task<IReadOnlyList<string>> InstancesOnAsync(string host, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<string>("SELECT id FROM instances WHERE host = @host AND deleted = 0 ORDER BY created, id", new { host })];
    }

    /// <summary>
    /// The hosts of the other live members of the instance's replication set (its source and the source's other
    /// replicas, or its own replicas), and the locality that governs the set: the source's, else the instance's own.
    /// </summary>
    public async Task<(IReadOnlyList<string> PeerHosts, string? Locality)> SetOfAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var self = await connection.QuerySingleOrDefaultAsync<(string? ReplicaOf, string? Locality)>(
            "SELECT replica_of AS ReplicaOf, locality AS Locality FROM instances WHERE id = @instanceId", new { instanceId });
        var sourceId = self.ReplicaOf ?? instanceId;
        var sourceLocality = self.ReplicaOf is null
            ? self.Locality
            : await connection.ExecuteScalarAsync<string?>("SELECT locality FROM instances WHERE id = @sourceId", new { sourceId });
        var peers = await connection.QueryAsync<string>(
            "SELECT DISTINCT host FROM instances WHERE deleted = 0 AND host IS NOT NULL AND id <> @instanceId AND (id = @sourceId OR replica_of = @sourceId)",
            new { instanceId, sourceId });
        return ([.. peers], sourceLocality ?? self.Locality);
    }
}
