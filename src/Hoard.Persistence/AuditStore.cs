using Dapper;

namespace Hoard.Persistence;

/// <summary>One mutating API request: who, where, what, and how it was answered. Never the request's body.</summary>
public sealed record AuditEntry(long Id, DateTimeOffset Time, string? UserId, string? ProjectId, string Method, string Path, int Status,
    string RequestId);

/// <summary>The audit log (table <c>audit_log</c>), newest first.</summary>
public sealed class AuditStore(StateDb db, TimeProvider time)
{
    public async Task AddAsync(string? userId, string? projectId, string method, string path, int status, string requestId,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            "INSERT INTO audit_log (time, user_id, project_id, method, path, status, request_id) " +
            "VALUES (@now, @userId, @projectId, @method, @path, @status, @requestId)",
            new { now = Ts.Of(time.GetUtcNow()), userId, projectId, method, path, status, requestId });
    }

    /// <summary>Every project's entries (one project's when <paramref name="projectId"/> is set), newest first; the marker is an entry's id.</summary>
    public async Task<IReadOnlyList<AuditEntry>> ListAsync(string? projectId, int limit, long? marker, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var sql = "SELECT id, time, user_id, project_id, method, path, status, request_id FROM audit_log WHERE 1 = 1" +
                  (projectId is null ? "" : " AND project_id = @projectId") +
                  (marker is null ? "" : " AND id < @marker") +
                  " ORDER BY id DESC LIMIT @limit";
        var rows = await connection.QueryAsync<(long Id, string Time, string? UserId, string? ProjectId, string Method, string Path, long Status, string RequestId)>(
            sql, new { projectId, marker, limit });
        return [.. rows.Select(r => new AuditEntry(r.Id, Ts.Parse(r.Time), r.UserId, r.ProjectId, r.Method, r.Path, (int)r.Status, r.RequestId))];
    }

    public async Task<int> PruneAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync("DELETE FROM audit_log WHERE time < @before", new { before = Ts.Of(before) });
    }
}
