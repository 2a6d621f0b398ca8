using System.Data.Common;
using Dapper;
using Hoard.Core.Workflows;

namespace Hoard.Persistence;

/// <summary>
/// Workflows in the state DB. An engine's writes are fenced on <c>owner</c>: a claim is one conditional UPDATE that only
/// one task manager can win, and saves and renewals change nothing once another owns the workflow.
/// </summary>
public sealed class WorkflowStore(StateDb db) : IWorkflowStore
{
    private const string Columns = "id, type, instance_id, status, step, step_started, data, error, created, updated, owner, lease_expires";

    public async Task<IReadOnlyList<WorkflowRecord>> ListRunningAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<WorkflowRecord>(
            $"SELECT {Columns} FROM workflows WHERE status = @status ORDER BY created", new { status = WorkflowStatus.Running })];
    }

    public async Task<IReadOnlyList<WorkflowRecord>> ListForInstanceAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<WorkflowRecord>(
            $"SELECT {Columns} FROM workflows WHERE instance_id = @instanceId ORDER BY created", new { instanceId })];
    }

    /// <summary>The task managers holding an instance's running workflows (where a guest's report must wake one).</summary>
    public async Task<IReadOnlyList<string>> RunningOwnersAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<string>(
            "SELECT DISTINCT owner FROM workflows WHERE instance_id = @instanceId AND status = 'RUNNING' AND owner IS NOT NULL",
            new { instanceId })];
    }

    public async Task<WorkflowRecord?> TryClaimAsync(string id, string owner, DateTimeOffset now, DateTimeOffset leaseExpires,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var claimed = await connection.ExecuteAsync(
            "UPDATE workflows SET owner = @owner, lease_expires = @leaseExpires WHERE id = @id AND status = 'RUNNING' " +
            "AND (owner IS NULL OR owner = @owner OR lease_expires IS NULL OR lease_expires < @now)",
            new { id, owner, now = Ts.Of(now), leaseExpires = Ts.Of(leaseExpires) });
        if (claimed == 0)
        {
            return null;
        }

        return await connection.QuerySingleOrDefaultAsync<WorkflowRecord>(
            $"SELECT {Columns} FROM workflows WHERE id = @id AND status = 'RUNNING' AND owner = @owner", new { id, owner });
    }

    public async Task<IReadOnlySet<string>> RenewAsync(string owner, IReadOnlyCollection<string> ids, DateTimeOffset leaseExpires,
        CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return new HashSet<string>();
        }

        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<string>(
            "UPDATE workflows SET lease_expires = @leaseExpires WHERE owner = @owner AND status = 'RUNNING' AND " +
            db.In("id", "ids") + " RETURNING id", new { owner, ids = ids.ToArray(), leaseExpires = Ts.Of(leaseExpires) })).ToHashSet();
    }

    public async Task ReleaseAsync(string owner, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            "UPDATE workflows SET owner = NULL, lease_expires = NULL WHERE owner = @owner AND status = 'RUNNING'", new { owner });
    }

    public async Task SaveAsync(WorkflowRecord workflow, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        // Only a running workflow may be saved (one ended elsewhere, by reset_status, must not come back to life), and only
        // by the task manager holding it (one that lost its lease must not overwrite the progress of the one that took over).
        var saved = await connection.ExecuteAsync(
            "UPDATE workflows SET status = @Status, step = @Step, step_started = @StepStarted, data = @Data, error = @Error, " +
            "updated = @Updated, lease_expires = @LeaseExpires WHERE id = @Id AND status = 'RUNNING' AND owner = @Owner",
            new
            {
                workflow.Id, workflow.Status, workflow.Step, StepStarted = Ts.Of(workflow.StepStarted), workflow.Data,
                workflow.Error, Updated = Ts.Of(workflow.Updated), workflow.Owner, LeaseExpires = Ts.Of(workflow.LeaseExpires),
            });
        if (saved == 0)
        {
            throw new WorkflowAbandonedException(workflow.Id);
        }
    }

    internal static Task InsertAsync(DbConnection connection, DbTransaction tx, WorkflowRecord w) =>
        connection.ExecuteAsync(
            "INSERT INTO workflows (id, type, instance_id, status, step, step_started, data, error, created, updated) " +
            "VALUES (@Id, @Type, @InstanceId, @Status, @Step, NULL, @Data, NULL, @Created, @Updated)",
            new { w.Id, w.Type, w.InstanceId, w.Status, w.Step, w.Data, Created = Ts.Of(w.Created), Updated = Ts.Of(w.Updated) }, tx);
}
