using Dapper;

namespace Hoard.Persistence;

/// <summary>A replication set's stable write endpoint as the proxy must hold it: its port, and the source it leads to now.</summary>
/// <param name="SourceAddress">Null while the set has no member that is a source (in the middle of a failover).</param>
public sealed record SetEndpoint(string SetId, string ProjectId, long Port, string? SourceId, string? SourceAddress, long SourcePort);

/// <summary>One switchover, eject or failover of a set, with the moments that make up its downtime.</summary>
public sealed record ReplicationEvent(long Id, string SetId, string Kind, string? OldSource, string? NewSource, string? Reason,
    DateTimeOffset? Detected, DateTimeOffset Started, DateTimeOffset? Fenced, DateTimeOffset? Promoted, DateTimeOffset? Finished,
    string? Outcome, string? Details);

/// <summary>
/// Replication sets: made when a source's first replica is built, outliving switchovers and failovers (their endpoint
/// follows the source), gone with their last member.
/// </summary>
public sealed class ReplicationSetStore(StateDb db, TimeProvider time)
{
    public static class Kinds
    {
        public const string Switchover = "switchover";
        public const string Eject = "eject";
        public const string Failover = "failover";
    }

    /// <summary>
    /// The replica joins its source's set, which is made (with the next free endpoint port from <paramref name="firstPort"/>)
    /// if the source has none yet. Returns the set's id.
    /// </summary>
    public async Task<string> JoinAsync(string sourceId, string replicaId, int firstPort, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        // One set is made per source, and ports are taken one at a time, across servers sharing a PostgreSQL state DB too.
        await db.LockAsync(connection, tx, "replication sets", cancellationToken);
        var source = await connection.QuerySingleAsync<(string ProjectId, string? Set)>(
            "SELECT project_id, replication_set FROM instances WHERE id = @sourceId", new { sourceId }, tx);
        var setId = source.Set;
        if (setId is null)
        {
            setId = Guid.NewGuid().ToString();
            var port = await connection.ExecuteScalarAsync<int?>("SELECT MAX(endpoint_port) + 1 FROM replication_sets", transaction: tx) ?? firstPort;
            await connection.ExecuteAsync("INSERT INTO replication_sets (id, project_id, endpoint_port, created) VALUES (@setId, @ProjectId, @port, @now)",
                new { setId, source.ProjectId, port = Math.Max(port, firstPort), now = Ts.Of(time.GetUtcNow()) }, tx);
            await connection.ExecuteAsync("UPDATE instances SET replication_set = @setId WHERE id = @sourceId", new { setId, sourceId }, tx);
        }

        await connection.ExecuteAsync("UPDATE instances SET replication_set = @setId WHERE id = @replicaId", new { setId, replicaId }, tx);
        await tx.CommitAsync(cancellationToken);
        return setId;
    }

    /// <summary>Whether the set's commits wait for a replica; false for no set.</summary>
    public async Task<bool> IsSynchronousAsync(string? setId, CancellationToken cancellationToken)
    {
        if (setId is null)
            return false;
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long?>("SELECT synchronous FROM replication_sets WHERE id = @setId", new { setId }) == 1;
    }

    public async Task SetSynchronousAsync(string setId, bool synchronous, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync("UPDATE replication_sets SET synchronous = @value WHERE id = @setId", new { setId, value = synchronous ? 1 : 0 });
    }

    /// <summary>A detached replica leaves its set (and its endpoint).</summary>
    public async Task LeaveAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync("UPDATE instances SET replication_set = NULL WHERE id = @instanceId", new { instanceId });
    }

    /// <summary>Every set with a live member, and the member that is its source now (if any).</summary>
    public Task<IReadOnlyList<SetEndpoint>> ListEndpointsAsync(CancellationToken cancellationToken) => QueryEndpointsAsync(null, cancellationToken);

    /// <summary>One set's endpoint, or null when the set has no live member.</summary>
    public async Task<SetEndpoint?> GetEndpointAsync(string setId, CancellationToken cancellationToken) =>
        (await QueryEndpointsAsync(setId, cancellationToken)).FirstOrDefault();

    private async Task<IReadOnlyList<SetEndpoint>> QueryEndpointsAsync(string? setId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        // Read as typed columns: a set without a source has NULLs there, which a record's constructor cannot be matched to.
        var rows = await connection.QueryAsync<(string SetId, string ProjectId, long Port, string? SourceId, string? SourceAddress, long? SourcePort)>(
            "SELECT s.id, s.project_id, s.endpoint_port, src.id, src.address, src.port FROM replication_sets s " +
            "LEFT JOIN instances src ON src.replication_set = s.id AND src.deleted = 0 AND src.replica_of IS NULL AND src.task <> 'Building' " +
            "WHERE EXISTS (SELECT 1 FROM instances m WHERE m.replication_set = s.id AND m.deleted = 0)" +
            (setId is null ? "" : " AND s.id = @setId") + " ORDER BY s.endpoint_port", new { setId });
        return [.. rows.Select(r => new SetEndpoint(r.SetId, r.ProjectId, r.Port, r.SourceId, r.SourceAddress, r.SourcePort ?? 0))];
    }

    public async Task<long> StartEventAsync(string setId, string kind, string? oldSource, string? reason, DateTimeOffset? detected,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(
            "INSERT INTO replication_events (set_id, kind, old_source, reason, detected, started) " +
            "VALUES (@setId, @kind, @oldSource, @reason, @detected, @now) RETURNING id",
            new { setId, kind, oldSource, reason, detected = Ts.Of(detected), now = Ts.Of(time.GetUtcNow()) });
    }

    /// <summary>Records a moment of the event: <c>fenced</c> or <c>promoted</c> (with the new source).</summary>
    public async Task MarkEventAsync(long id, string moment, string? newSource, CancellationToken cancellationToken)
    {
        if (moment is not ("fenced" or "promoted"))
            throw new ArgumentOutOfRangeException(nameof(moment), moment, "Not a moment of a replication event.");
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync($"UPDATE replication_events SET {moment} = COALESCE({moment}, @now), " +
                                      "new_source = COALESCE(@newSource, new_source) WHERE id = @id",
            new { id, newSource, now = Ts.Of(time.GetUtcNow()) });
    }

    public async Task FinishEventAsync(long id, string outcome, string? details, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync("UPDATE replication_events SET finished = @now, outcome = @outcome, details = @details WHERE id = @id AND finished IS NULL",
            new { id, outcome, details, now = Ts.Of(time.GetUtcNow()) });
    }

    /// <summary>The set's events, newest first.</summary>
    public async Task<IReadOnlyList<ReplicationEvent>> ListEventsAsync(string setId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<ReplicationEvent>(
            "SELECT id, set_id AS SetId, kind, old_source AS OldSource, new_source AS NewSource, reason, detected, started, fenced, promoted, " +
            "finished, outcome, details FROM replication_events WHERE set_id = @setId ORDER BY id DESC LIMIT @limit", new { setId, limit })];
    }
}
