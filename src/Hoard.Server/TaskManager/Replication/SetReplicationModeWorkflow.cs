using System.Text.Json.Nodes;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;

namespace Hoard.Server.TaskManager.Replication;

/// <summary>
/// Hoard's <c>PUT /instances/{id}/replication</c>: a replication set becomes synchronous (the source's commits return
/// once a replica has the transaction, so automatic failover loses no acknowledged write) or asynchronous again. The
/// mode is recorded first, then every replica is attached anew with a context in that mode, which also sets the
/// source's side. Runs on the source; every member is UPDATING (shown ACTIVE) meanwhile.
/// </summary>
internal sealed class SetReplicationModeWorkflow(InstanceStore instances, ReplicationSets sets, ReplicationSetStore setStore) : IWorkflow
{
    public const string Name = "set_replication_mode";
    private const string SetKey = "set";
    private const string SynchronousKey = "synchronous";
    private const string ReplicasKey = "replicas";
    private const string AttachedKey = "attached";

    public string Type => Name;

    public IReadOnlyList<WorkflowStep> Steps =>
    [
        new("record_mode", TimeSpan.FromSeconds(30), RecordAsync),
        new("attach_replicas", ReplicationSets.RoleChangeDeadline * 2, AttachAsync),
        new("confirm_mode", TimeSpan.FromSeconds(60), ConfirmAsync),
        new("complete", TimeSpan.FromSeconds(30), CompleteAsync),
    ];

    public static WorkflowRecord Create(InstanceRecord source, IReadOnlyList<InstanceRecord> replicas, bool synchronous, DateTimeOffset now) => new()
    {
        Id = Guid.NewGuid().ToString(), Type = Name, InstanceId = source.Id, Created = now, Updated = now,
        Data = new JsonObject
        {
            [SetKey] = source.ReplicationSet, [SynchronousKey] = synchronous, [ReplicasKey] = ReplicationSets.Ids(replicas.Select(r => r.Id)),
        }.ToJsonString(),
    };

    private static IReadOnlyList<string> Members(WorkflowContext context) => [context.InstanceId, .. ReplicationSets.Ids(context, ReplicasKey)];

    private async Task<StepOutcome> RecordAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        await setStore.SetSynchronousAsync(context.RequireString(SetKey), context.Data[SynchronousKey]!.GetValue<bool>(), cancellationToken);
        return StepOutcome.Next;
    }

    private Task<StepOutcome> AttachAsync(WorkflowContext context, CancellationToken cancellationToken) =>
        sets.AttachEachAsync(context, AttachedKey, context.InstanceId, ReplicationSets.Ids(context, ReplicasKey), cancellationToken);

    /// <summary>Once every replica is attached in the new mode, the source is asked once more (MariaDB then releases commits stranded by the switch).</summary>
    private async Task<StepOutcome> ConfirmAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        if (ReplicationSets.Ids(context, ReplicasKey).FirstOrDefault() is { } replica)
            await sets.ContextAsync(context.InstanceId, replica, cancellationToken);
        return StepOutcome.Next;
    }

    private async Task<StepOutcome> CompleteAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        await instances.FinishSetAsync(Members(context), InstanceTask.Updating, InstanceTask.None, null, cancellationToken);
        return StepOutcome.Next;
    }

    public async Task OnFailedAsync(WorkflowContext context, WorkflowFault fault, CancellationToken cancellationToken)
    {
        await instances.AddFaultAsync(context.InstanceId, $"Changing the replication mode failed at step '{fault.Step}': {fault.Message}",
            fault.Details, cancellationToken);
        await instances.FinishSetAsync(Members(context), InstanceTask.Updating, InstanceTask.None, null, cancellationToken);
    }
}
