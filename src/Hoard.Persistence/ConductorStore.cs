using Dapper;

namespace Hoard.Persistence;

/// <summary>Remembers the newest message seen per instance and method, so late or replayed reports are dropped.</summary>
public sealed class ConductorStore(StateDb db)
{
    /// <returns>False when a message at least as new was already accepted.</returns>
    public async Task<bool> TryAdvanceAsync(string instanceId, string method, DateTimeOffset sent, CancellationToken cancellationToken)
    {
        // Lost at a power failure, the mark only lets the next report (or a replayed one, as old as what it marks) through.
        await using var connection = await db.OpenForReportsAsync(cancellationToken);
        var changed = await connection.ExecuteAsync(
            "INSERT INTO conductor_lastseen (instance_id, method, sent) VALUES (@instanceId, @method, @sent) " +
            "ON CONFLICT (instance_id, method) DO UPDATE SET sent = excluded.sent WHERE excluded.sent > conductor_lastseen.sent",
            new { instanceId, method, sent = Ts.Of(sent) });
        return changed > 0;
    }

    public async Task ForgetAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync("DELETE FROM conductor_lastseen WHERE instance_id = @instanceId", new { instanceId });
    }
}
