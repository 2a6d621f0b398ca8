using System.Data.Common;
using Dapper;
using Hoard.Core.Workflows;

namespace Hoard.Persistence;

public sealed class WorkflowStore(StateDb db) : IWorkflowStore
{
    public async Task<IReadOnlyList<WorkflowRecord>> ListRunningAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<WorkflowRecord>(
            "SELECT id, type, instance_id, status, step, step_started, data, error, created, updated FROM workflows " +
            "WHERE status = @status ORDER BY created", new { status = WorkflowStatus.Running })];
    }

    public async Task<IReadOnlyList<WorkflowRecord>> ListForInstanceAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<WorkflowRecord>(
            "SELECT id, type, instance_id, status, step, step_started, data, error, created, updated FROM workflows " +
            "WHERE instance_id = @instanceId ORDER BY created", new { instanceId })];
    }

    public async Task SaveAsync(WorkflowRecord workflow, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        // Only a running workflow may be saved: one ended elsewhere (reset_status) must not come back to life.
        var saved = await connection.ExecuteAsync(
            "UPDATE workflows SET status = @Status, step = @Step, step_started = @StepStarted, data = @Data, error = @Error, " +
            "updated = @Updated WHERE id = @Id AND status = 'RUNNING'",
            new
            {
                workflow.Id, workflow.Status, workflow.Step, StepStarted = Ts.Of(workflow.StepStarted), workflow.Data,
                workflow.Error, Updated = Ts.Of(workflow.Updated),
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
