using System.Text.Json.Nodes;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;

namespace Hoard.Server.TaskManager.Replication;

/// <summary>
/// DETACH (Trove's detach_replica, <c>PUT /instances/{id}</c> with <c>replica_of</c>): the replica stops following its
/// source and accepts writes, a standalone instance from then on; the source frees what it kept for it.
/// </summary>
internal sealed class DetachReplicaWorkflow(InstanceStore instances, ReplicationSets sets, ReplicationSetStore setStore, WriteEndpointSync endpoints)
    : IWorkflow
{
    public const string Name = "detach_replica";
    private const string SourceKey = "source";

    public string Type => Name;

    public IReadOnlyList<WorkflowStep> Steps =>
    [
        new("promote", ReplicationSets.RoleChangeDeadline, PromoteAsync),
        new("forget_at_source", TimeSpan.FromSeconds(30), ForgetAsync),
        new("complete", TimeSpan.FromSeconds(30), CompleteAsync),
    ];

    public static WorkflowRecord Create(InstanceRecord replica, DateTimeOffset now) => new()
    {
        Id = Guid.NewGuid().ToString(), Type = Name, InstanceId = replica.Id, Created = now, Updated = now,
        Data = new JsonObject { [SourceKey] = replica.ReplicaOf }.ToJsonString(),
    };

    private async Task<StepOutcome> PromoteAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        try
        {
            await sets.Guest(context.InstanceId).PromoteAsync(ReplicationSets.RoleChangeTimeout, cancellationToken);
            return StepOutcome.Next;
        }
        catch (Exception e) when (ReplicationSets.IsRefusal(e))
        {
            return StepOutcome.Fail($"The replica could not stop replicating: {e.Message}");
        }
    }

    private async Task<StepOutcome> ForgetAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        if (context.GetString(SourceKey) is { } sourceId)
            await sets.ForgetAsync(sourceId, context.InstanceId, cancellationToken);
        return StepOutcome.Next;
    }

    private async Task<StepOutcome> CompleteAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        await instances.SetReplicaOfAsync(context.InstanceId, null, cancellationToken);
        await setStore.LeaveAsync(context.InstanceId, cancellationToken);
        await instances.TrySetTaskAsync(context.InstanceId, InstanceTask.Detaching, InstanceTask.None, cancellationToken);
        await endpoints.TryApplyAsync(cancellationToken);
        return StepOutcome.Next;
    }

    public async Task OnFailedAsync(WorkflowContext context, WorkflowFault fault, CancellationToken cancellationToken)
    {
        await instances.AddFaultAsync(context.InstanceId, $"Detaching the replica failed at step '{fault.Step}': {fault.Message}",
            fault.Details, cancellationToken);
        await instances.TrySetTaskAsync(context.InstanceId, InstanceTask.Detaching, InstanceTask.DetachingError, cancellationToken);
    }
}
