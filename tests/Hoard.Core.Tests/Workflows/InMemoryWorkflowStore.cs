using System.Collections.Concurrent;
using Hoard.Core.Workflows;

namespace Hoard.Core.Tests.Workflows;

/// <summary>A workflow store that, like the SQLite one, hands out and keeps copies, never shared objects, and fences writes on the owner.</summary>
internal sealed class InMemoryWorkflowStore : IWorkflowStore
{
    private readonly ConcurrentDictionary<string, WorkflowRecord> _records = new();
    private readonly ConcurrentQueue<WorkflowRecord> _saves = new();
    private readonly Lock _gate = new();

    public void Insert(WorkflowRecord record) => _records[record.Id] = Copy(record);

    public WorkflowRecord Get(string id) => Copy(_records[id]);

    /// <summary>Every saved state, in order.</summary>
    public IReadOnlyList<WorkflowRecord> Saves => [.. _saves];

    public Task<IReadOnlyList<WorkflowRecord>> ListRunningAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<WorkflowRecord>>(
            [.. _records.Values.Where(r => r.Status == WorkflowStatus.Running).Select(Copy)]);

    /// <summary>Ends a workflow from outside the engine, as an admin's reset_status does.</summary>
    public void End(string id) => _records[id].Status = WorkflowStatus.Failed;

    public Task<WorkflowRecord?> TryClaimAsync(string id, string owner, DateTimeOffset now, DateTimeOffset leaseExpires,
        CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var r = _records[id];
            if (r.Status != WorkflowStatus.Running ||
                (r.Owner is not null && r.Owner != owner && r.LeaseExpires is { } expires && expires >= now))
            {
                return Task.FromResult<WorkflowRecord?>(null);
            }

            r.Owner = owner;
            r.LeaseExpires = leaseExpires;
            return Task.FromResult<WorkflowRecord?>(Copy(r));
        }
    }

    public Task<IReadOnlySet<string>> RenewAsync(string owner, IReadOnlyCollection<string> ids, DateTimeOffset leaseExpires,
        CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var held = ids.Where(id => _records[id] is { Status: WorkflowStatus.Running } r && r.Owner == owner).ToHashSet();
            foreach (var id in held)
            {
                _records[id].LeaseExpires = leaseExpires;
            }

            return Task.FromResult<IReadOnlySet<string>>(held);
        }
    }

    public Task ReleaseAsync(string owner, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            foreach (var r in _records.Values.Where(r => r.Status == WorkflowStatus.Running && r.Owner == owner))
            {
                r.Owner = null;
                r.LeaseExpires = null;
            }
        }

        return Task.CompletedTask;
    }

    public Task SaveAsync(WorkflowRecord workflow, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            // As the SQLite store: only a running workflow, and only by its owner.
            if (_records[workflow.Id] is not { Status: WorkflowStatus.Running } current || current.Owner != workflow.Owner)
            {
                throw new WorkflowAbandonedException(workflow.Id);
            }

            _records[workflow.Id] = Copy(workflow);
            _saves.Enqueue(Copy(workflow));
        }

        return Task.CompletedTask;
    }

    private static WorkflowRecord Copy(WorkflowRecord r) => new()
    {
        Id = r.Id, Type = r.Type, InstanceId = r.InstanceId, Status = r.Status, Step = r.Step, StepStarted = r.StepStarted,
        Data = r.Data, Error = r.Error, Created = r.Created, Updated = r.Updated, Owner = r.Owner, LeaseExpires = r.LeaseExpires,
    };
}
