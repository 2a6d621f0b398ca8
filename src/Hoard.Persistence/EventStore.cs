using Dapper;

namespace Hoard.Persistence;

/// <summary>One thing that happened to an instance. <see cref="UserId"/> is set when a user caused it, null for the system.</summary>
public sealed record InstanceEvent(string Id, DateTimeOffset Time, string InstanceId, string Type, string Message, string? UserId);

/// <summary>
/// Instances' events, newest first. Only service status changes are stored here (table <c>events</c>); task starts and
/// ends are read from <c>workflows</c>, faults from <c>instance_faults</c>, failovers and switchovers from
/// <c>replication_events</c>, so nothing is recorded twice.
/// </summary>
public sealed class EventStore(StateDb db, TimeProvider time)
{
    public const string StatusChanged = "status";

    // Ids are prefixed by their source so that they stay unique, and usable as markers, across the union.
    private const string AllEvents = """
        WITH all_events (id, time, project_id, instance_id, type, message, user_id) AS (
            SELECT 'e' || id, time, project_id, instance_id, type, message, user_id FROM events
            UNION ALL
            SELECT 'w' || w.id || '.start', w.created, i.project_id, w.instance_id, 'task_started', w.type || ' started', NULL
            FROM workflows w JOIN instances i ON i.id = w.instance_id
            UNION ALL
            SELECT 'w' || w.id || '.end', w.updated, i.project_id, w.instance_id,
                CASE w.status WHEN 'SUCCEEDED' THEN 'task_succeeded' ELSE 'task_failed' END,
                w.type || ' ' || lower(w.status) || COALESCE(': ' || w.error, ''), NULL
            FROM workflows w JOIN instances i ON i.id = w.instance_id WHERE w.status <> 'RUNNING'
            UNION ALL
            SELECT 'f' || f.id, f.created, i.project_id, f.instance_id, 'fault', f.message, NULL
            FROM instance_faults f JOIN instances i ON i.id = f.instance_id
            UNION ALL
            SELECT 'r' || r.id, r.started, s.project_id, COALESCE(r.new_source, r.old_source, ''), r.kind,
                r.kind || COALESCE(' from ' || r.old_source, '') || COALESCE(' to ' || r.new_source, '') || COALESCE(': ' || r.outcome, ''), NULL
            FROM replication_events r JOIN replication_sets s ON s.id = r.set_id)
        """;

    public async Task AddAsync(string projectId, string instanceId, string type, string message, string? userId,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            "INSERT INTO events (time, project_id, instance_id, type, message, user_id) VALUES (@now, @projectId, @instanceId, @type, @message, @userId)",
            new { now = Ts.Of(time.GetUtcNow()), projectId, instanceId, type, message, userId });
    }

    /// <summary>A project's events (one instance's when <paramref name="instanceId"/> is set) since <paramref name="since"/>, newest first.</summary>
    public async Task<IReadOnlyList<InstanceEvent>> ListAsync(string projectId, string? instanceId, DateTimeOffset since, int limit,
        string? marker, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var sql = AllEvents +
                  " SELECT id, time, instance_id, type, message, user_id FROM all_events WHERE project_id = @projectId AND time >= @since" +
                  (instanceId is null ? "" : " AND instance_id = @instanceId") +
                  (marker is null ? "" : " AND (time, id) < (SELECT time, id FROM all_events WHERE id = @marker)") +
                  " ORDER BY time DESC, id DESC LIMIT @limit";
        var rows = await connection.QueryAsync<(string Id, string Time, string InstanceId, string Type, string Message, string? UserId)>(
            sql, new { projectId, instanceId, since = Ts.Of(since), marker, limit });
        return [.. rows.Select(r => new InstanceEvent(r.Id, Ts.Parse(r.Time), r.InstanceId, r.Type, r.Message, r.UserId))];
    }

    /// <summary>Deletes the stored events older than <paramref name="before"/>; returns how many.</summary>
    public async Task<int> PruneAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync("DELETE FROM events WHERE time < @before", new { before = Ts.Of(before) });
    }
}
