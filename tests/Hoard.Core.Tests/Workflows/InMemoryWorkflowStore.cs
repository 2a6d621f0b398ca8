using System.Collections.Concurrent;
using Hoard.Core.Workflows;

namespace Hoard.Core.Tests.Workflows;

/// <summary>A workflow store that, like the SQLite one, hands out and keeps copies, never shared objects.</summary>
internal sealed class InMemoryWorkflowStore : IWorkflowStore
{
    private readonly ConcurrentDictionary<string, WorkflowRecord> _records = new();
    private readonly ConcurrentQueue<WorkflowRecord> _saves = new();

    public void Insert(WorkflowRecord record) => _records[record.Id] = Copy(record);

    public WorkflowRecord Get(string id) => Copy(_records[id]);

    /// <summary>Every saved state, in order.</summary>
    public IReadOnlyList<WorkflowRecord> Saves => [.. _saves];

    public Task<IReadOnlyList<WorkflowRecord>> ListRunningAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<WorkflowRecord>>(
            [.. _records.Values.Where(r => r.Status == WorkflowStatus.Running).Select(Copy)]);

    /// <summary>Ends a workflow from outside the engine, as an admin's reset_status does.</summary>
    public void End(string id) => _records[id].Status = WorkflowStatus.Failed;

    public Task SaveAsync(WorkflowRecord workflow, CancellationToken cancellationToken)
    {
        // As the SQLite store: only a running workflow may be saved.
        if (_records[workflow.Id].Status != WorkflowStatus.Running)
        {
            throw new WorkflowAbandonedException(workflow.Id);
        }

        _records[workflow.Id] = Copy(workflow);
        _saves.Enqueue(Copy(workflow));
        return Task.CompletedTask;
    }

    private static WorkflowRecord Copy(WorkflowRecord r) => new()
    {
        Id = r.Id, Type = r.Type, InstanceId = r.InstanceId, Status = r.Status, Step = r.Step, StepStarted = r.StepStarted,
        Data = r.Data, Error = r.Error, Created = r.Created, Updated = r.Updated,
    };
}
