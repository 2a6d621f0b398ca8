using System.Text.Json.Nodes;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;

namespace Hoard.Server.TaskManager.Replication;

/// <summary>
/// PROMOTE (Trove's promote_to_replica_source), a planned switchover with no write lost: the source stops taking writes
/// and says where its data ends; the replica catches up to exactly there; the replica is promoted; the old source follows
/// it, and so do the other replicas. Until the replica is promoted the switchover can be undone: if the replica does not
/// catch up within the deadline, the old source takes writes again and nothing changed.
/// </summary>
internal sealed partial class PromoteReplicaWorkflow(
    InstanceStore instances,
    ReplicationSets sets,
    ReplicationSetStore setStore,
    WriteEndpointSync endpoints,
    ILogger<PromoteReplicaWorkflow> logger) : IWorkflow
{
    public const string Name = "promote_to_replica_source";
    private const string SourceKey = "old_source";
    private const string OthersKey = "other_replicas";
    private const string FinalPositionKey = "final_position";
    private const string DemotedKey = "demoted";
    private const string PromotedKey = "promoted";
    private const string AttachedKey = "attached";
    private const string StartedKey = "started_ms";
    private const string SetKey = "set";
    private const string EventKey = "event";

    public string Type => Name;

    /// <summary>How long the replica gets to reach the demoted source's last write.</summary>
    public static readonly TimeSpan CatchUpTimeout = TimeSpan.FromSeconds(60);

    public IReadOnlyList<WorkflowStep> Steps =>
    [
        new("demote_source", ReplicationSets.RoleChangeDeadline, DemoteSourceAsync),
        new("catch_up", CatchUpTimeout, CatchUpAsync),
        new("promote_replica", ReplicationSets.RoleChangeDeadline, PromoteReplicaAsync),
        new("follow_new_source", ReplicationSets.RoleChangeDeadline * 2, FollowAsync),
        new("complete", TimeSpan.FromSeconds(30), CompleteAsync),
    ];

    /// <summary>The workflow runs on the replica being promoted; every member of the set is PROMOTE meanwhile.</summary>
    public static WorkflowRecord Create(InstanceRecord replica, IReadOnlyList<InstanceRecord> otherReplicas, DateTimeOffset now) => new()
    {
        Id = Guid.NewGuid().ToString(), Type = Name, InstanceId = replica.Id, Created = now, Updated = now,
        Data = new JsonObject
        {
            [SourceKey] = replica.ReplicaOf, [OthersKey] = ReplicationSets.Ids(otherReplicas.Select(r => r.Id)),
            [StartedKey] = now.ToUnixTimeMilliseconds(), [SetKey] = replica.ReplicationSet,
        }.ToJsonString(),
    };

    public static IReadOnlyList<string> Members(InstanceRecord replica, IReadOnlyList<InstanceRecord> otherReplicas) =>
        [replica.Id, replica.ReplicaOf!, .. otherReplicas.Select(r => r.Id)];

    private static IReadOnlyList<string> Members(WorkflowContext context) =>
        [context.InstanceId, context.RequireString(SourceKey), .. ReplicationSets.Ids(context, OthersKey)];

    private async Task<StepOutcome> DemoteSourceAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        if (context.Data[EventKey] is null && context.GetString(SetKey) is { } setId)
        {
            context.Data[EventKey] = await setStore.StartEventAsync(setId, ReplicationSetStore.Kinds.Switchover, context.RequireString(SourceKey),
                "promote_to_replica_source requested", null, cancellationToken);
        }

        try
        {
            var report = await sets.Guest(context.RequireString(SourceKey)).DemoteAsync(ReplicationSets.RoleChangeTimeout, cancellationToken);
            context.Data[FinalPositionKey] = report.Position;
            context.Data[DemotedKey] = true;
            return StepOutcome.Next;
        }
        catch (Exception e) when (ReplicationSets.IsRefusal(e))
        {
            return StepOutcome.Fail($"The source could not stop taking writes: {e.Message}");
        }
    }

    /// <summary>Zero loss: the replica must have applied everything the source wrote before it stopped.</summary>
    private async Task<StepOutcome> CatchUpAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        var final = context.Data[FinalPositionKey]!.GetValue<long>();
        var status = await sets.Guest(context.InstanceId, TimeSpan.FromSeconds(10)).GetReplicationStatusAsync(cancellationToken);
        if (status is { Error: { } error } && status.Position < final)
            return StepOutcome.Fail($"The replica stopped replicating before it caught up with the source: {error}");
        return status is not null && status.Position >= final ? StepOutcome.Next : StepOutcome.WaitFor(TimeSpan.FromMilliseconds(100));
    }

    private async Task<StepOutcome> PromoteReplicaAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        try
        {
            await sets.Guest(context.InstanceId).PromoteAsync(ReplicationSets.RoleChangeTimeout, cancellationToken);
            context.Data[PromotedKey] = true;
        }
        catch (Exception e) when (ReplicationSets.IsRefusal(e))
        {
            return StepOutcome.Fail($"The replica could not be promoted: {e.Message}");
        }

        // Writes through the set's endpoint go to the new source from now on.
        await instances.SwapSourceAsync(context.InstanceId, context.RequireString(SourceKey), cancellationToken);
        await endpoints.TryApplyAsync(cancellationToken);
        if (EventId(context) is { } eventId)
            await setStore.MarkEventAsync(eventId, "promoted", context.InstanceId, cancellationToken);
        return StepOutcome.Next;
    }

    private static long? EventId(WorkflowContext context) => context.Data[EventKey]?.GetValue<long>();

    /// <summary>The old source, then every other replica, follows the new source (each once, should the step run again).</summary>
    private async Task<StepOutcome> FollowAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        var oldSource = context.RequireString(SourceKey);
        var others = ReplicationSets.Ids(context, OthersKey);
        var done = ReplicationSets.Ids(context, AttachedKey);
        if (!done.Contains(oldSource))
        {
            // What the old source kept for its replicas has no use any more.
            foreach (var replica in others.Append(context.InstanceId))
                await sets.ForgetAsync(oldSource, replica, cancellationToken);
        }

        if (await sets.AttachEachAsync(context, AttachedKey, context.InstanceId, others.Prepend(oldSource), cancellationToken) is StepOutcome.Failed failed)
            return failed;

        // Asked once more now that its replicas follow it (MariaDB releases commits stranded by the change).
        await sets.ContextAsync(context.InstanceId, oldSource, cancellationToken);
        return StepOutcome.Next;
    }

    private async Task<StepOutcome> CompleteAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        var newSource = context.InstanceId;
        var replicaOf = new Dictionary<string, string?> { [newSource] = null };
        foreach (var member in Members(context).Where(m => m != newSource))
            replicaOf[member] = newSource;
        await instances.FinishSetAsync(Members(context), InstanceTask.Promoting, InstanceTask.None, replicaOf, cancellationToken);
        await endpoints.TryApplyAsync(cancellationToken);
        if (EventId(context) is { } eventId)
            await setStore.FinishEventAsync(eventId, "succeeded", null, cancellationToken);
        var elapsed = context.Time.GetUtcNow().ToUnixTimeMilliseconds() - (context.Data[StartedKey]?.GetValue<long>() ?? 0);
        LogSwitchedOver(context.RequireString(SourceKey), newSource, elapsed);
        return StepOutcome.Next;
    }

    public async Task OnFailedAsync(WorkflowContext context, WorkflowFault fault, CancellationToken cancellationToken)
    {
        var oldSource = context.RequireString(SourceKey);
        var message = $"Promoting replica {context.InstanceId} to source failed at step '{fault.Step}': {fault.Message}";
        if (context.Data[PromotedKey] is null)
        {
            // Nothing changed roles: the old source takes writes again, and the set is as it was.
            var undone = context.Data[DemotedKey] is null || await TryUndoDemoteAsync(oldSource, [context.InstanceId, .. ReplicationSets.Ids(context, OthersKey)],
                cancellationToken);
            await instances.AddFaultAsync(context.InstanceId, message + (undone
                ? $" Nothing changed: instance {oldSource} is still the source and takes writes."
                : $" Instance {oldSource} was left refusing writes: restart it or promote again."), fault.Details, cancellationToken);
            await instances.FinishSetAsync(Members(context), InstanceTask.Promoting, InstanceTask.None, null, cancellationToken);
            if (EventId(context) is { } undoneEvent)
                await setStore.FinishEventAsync(undoneEvent, undone ? "undone" : "failed", message, cancellationToken);
            return;
        }

        // The replica is the source now; the members that did not follow it say so.
        var attached = ReplicationSets.Ids(context, AttachedKey);
        var replicaOf = new Dictionary<string, string?> { [context.InstanceId] = null };
        foreach (var member in attached)
            replicaOf[member] = context.InstanceId;
        await instances.AddFaultAsync(context.InstanceId, message + $" Instance {context.InstanceId} is the source now.", fault.Details, cancellationToken);
        await instances.FinishSetAsync(Members(context), InstanceTask.Promoting, InstanceTask.PromotionError, replicaOf, cancellationToken);
        await instances.FinishSetAsync([context.InstanceId, .. attached], InstanceTask.PromotionError, InstanceTask.None, null, cancellationToken);
        await endpoints.TryApplyAsync(cancellationToken);
        if (EventId(context) is { } eventId)
            await setStore.FinishEventAsync(eventId, "failed", message, cancellationToken);
    }

    /// <summary>The old source takes writes again, in its set's mode (a promoted server starts asynchronous).</summary>
    private async Task<bool> TryUndoDemoteAsync(string oldSource, IReadOnlyList<string> replicas, CancellationToken cancellationToken)
    {
        try
        {
            await sets.Guest(oldSource).PromoteAsync(ReplicationSets.RoleChangeTimeout, cancellationToken);
            foreach (var replica in replicas)
                await sets.ContextAsync(oldSource, replica, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogUndoFailed(e, oldSource);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Switchover: {OldSource} → {NewSource} in {ElapsedMs} ms")]
    private partial void LogSwitchedOver(string oldSource, string newSource, long elapsedMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Switchover failed and the old source {SourceId} could not take writes again")]
    private partial void LogUndoFailed(Exception e, string sourceId);
}
