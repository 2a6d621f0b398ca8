using System.Text.Json.Nodes;
using Hoard.Contracts.Guest;
using Hoard.Core.Catalog;
using Hoard.Core.Compute;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Hoard.Server.TaskManager.Workflows;
using Microsoft.Extensions.Options;

namespace Hoard.Server.TaskManager.Replication;

/// <summary>
/// EJECT (Trove's eject_replica_source, and Hoard's automatic failover): the source is gone or not serving. It is fenced
/// first (its guest and server stopped through the compute provider, so it can take no write however it was stuck); the
/// replica whose data goes furthest is promoted and becomes what the set's write endpoint leads to; the other replicas
/// follow it; then the old source is rebuilt, from the new source, as one of its replicas: it never takes a write again
/// as a source, and whatever it had that no replica received is discarded with its old volume. Each one is recorded as a
/// replication event with its timings.
/// </summary>
internal sealed partial class EjectSourceWorkflow(
    InstanceStore instances,
    CatalogStore catalog,
    ReplicationSets sets,
    ReplicationSetStore setStore,
    WriteEndpointSync endpoints,
    IComputeProvider compute,
    IVolumeProvider volumes,
    IOptions<HoardOptions> options,
    ILogger<EjectSourceWorkflow> logger) : IWorkflow
{
    public const string Name = "eject_replica_source";
    private const string ReplicasKey = "replicas";
    private const string ElectedKey = "elected";
    private const string AttachedKey = "attached";
    private const string SetKey = "set";
    private const string EventKey = "event";
    private const string AutomaticKey = "automatic";
    private const string ReasonKey = "reason";
    private const string DetectedKey = "detected";

    public string Type => Name;

    public IReadOnlyList<WorkflowStep> Steps =>
    [
        new("fence", TimeSpan.FromSeconds(30), FenceAsync),
        new("elect", TimeSpan.FromSeconds(30), ElectAsync),
        new("promote", ReplicationSets.RoleChangeDeadline, PromoteAsync),
        new("follow_new_source", ReplicationSets.RoleChangeDeadline * 2, FollowAsync),
        new("rebuild_old_source", TimeSpan.FromSeconds(60), RebuildOldSourceAsync),
        new("complete", TimeSpan.FromSeconds(30), CompleteAsync),
    ];

    /// <summary>The workflow runs on the old source; every member of the set is EJECT meanwhile.</summary>
    /// <param name="reason">Why: the caller's request, or what automatic failover saw.</param>
    /// <param name="detected">For a failover: when the source was last seen serving.</param>
    public static WorkflowRecord Create(InstanceRecord source, IReadOnlyList<InstanceRecord> replicas, DateTimeOffset now, bool automatic,
        string reason, DateTimeOffset? detected = null) => new()
    {
        Id = Guid.NewGuid().ToString(), Type = Name, InstanceId = source.Id, Created = now, Updated = now,
        Data = new JsonObject
        {
            [ReplicasKey] = ReplicationSets.Ids(replicas.Select(r => r.Id)), [SetKey] = source.ReplicationSet, [AutomaticKey] = automatic,
            [ReasonKey] = reason, [DetectedKey] = detected?.ToString("O"),
        }.ToJsonString(),
    };

    private static IReadOnlyList<string> Replicas(WorkflowContext context) => ReplicationSets.Ids(context, ReplicasKey);

    private static bool Automatic(WorkflowContext context) => context.Data[AutomaticKey]?.GetValue<bool>() == true;

    /// <summary>Stops the old source's guest and server (SIGKILL at once: it is being replaced, not shut down).</summary>
    private async Task<StepOutcome> FenceAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        if (context.Data[EventKey] is null && context.GetString(SetKey) is { } setId)
        {
            var detected = context.GetString(DetectedKey) is { } text ? DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : (DateTimeOffset?)null;
            context.Data[EventKey] = await setStore.StartEventAsync(setId, Automatic(context) ? ReplicationSetStore.Kinds.Failover : ReplicationSetStore.Kinds.Eject,
                context.InstanceId, context.GetString(ReasonKey), detected, cancellationToken);
        }

        await compute.StopGuestAsync(context.InstanceId, TimeSpan.Zero, cancellationToken);
        if (EventId(context) is { } eventId)
            await setStore.MarkEventAsync(eventId, "fenced", null, cancellationToken);
        return StepOutcome.Next;
    }

    /// <summary>
    /// The most advanced replica that answers now; equal positions go to the oldest replica. An automatic failover never
    /// promotes one whose last report put it further behind than FailoverMaxLagSeconds.
    /// </summary>
    private async Task<StepOutcome> ElectAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        if (context.GetString(ElectedKey) is not null)
            return StepOutcome.Next;
        (string Id, ReplicationReport Report)? best = null;
        foreach (var replica in Replicas(context))
        {
            ReplicationReport? report;
            try
            {
                report = await sets.Guest(replica, TimeSpan.FromSeconds(5)).GetReplicationStatusAsync(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogUnreachable(replica, e.Message);
                continue;
            }

            if (report is not null && (best is null || report.Position > best.Value.Report.Position))
                best = (replica, report);
        }

        if (best is not { } elected)
            return StepOutcome.WaitFor(TimeSpan.FromMilliseconds(500));
        if (Automatic(context) && await instances.GetAsync(elected.Id, cancellationToken) is { } record &&
            ReplicationSets.LastReport(record)?.LagSeconds is { } lag && lag > options.Value.FailoverMaxLagSeconds)
        {
            return StepOutcome.Fail($"The most advanced replica, {elected.Id}, was {lag:0.#} s behind the source at its last report, more than " +
                                    $"FailoverMaxLagSeconds ({options.Value.FailoverMaxLagSeconds:0.#} s): not promoted automatically.");
        }

        context.Data[ElectedKey] = elected.Id;
        LogElected(elected.Id, elected.Report.PositionText);
        return StepOutcome.Next;
    }

    /// <summary>The elected replica takes writes, and the write endpoint leads to it from now on.</summary>
    private async Task<StepOutcome> PromoteAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        var elected = context.RequireString(ElectedKey);
        try
        {
            await sets.Guest(elected).PromoteAsync(ReplicationSets.RoleChangeTimeout, cancellationToken);
        }
        catch (Exception e) when (ReplicationSets.IsRefusal(e))
        {
            return StepOutcome.Fail($"Replica {elected} could not be promoted: {e.Message}");
        }

        await instances.SwapSourceAsync(elected, context.InstanceId, cancellationToken);
        await endpoints.TryApplyAsync(cancellationToken);
        if (EventId(context) is { } eventId)
            await setStore.MarkEventAsync(eventId, "promoted", elected, cancellationToken);
        return StepOutcome.Next;
    }

    private async Task<StepOutcome> FollowAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        var elected = context.RequireString(ElectedKey);
        if (await sets.AttachEachAsync(context, AttachedKey, elected, Replicas(context).Where(r => r != elected), cancellationToken) is StepOutcome.Failed failed)
            return failed;

        // Asked once more now that its replicas follow it (MariaDB releases commits a synchronous set stranded meanwhile).
        if (Replicas(context).FirstOrDefault(r => r != elected) is { } follower)
            await sets.ContextAsync(elected, follower, cancellationToken);
        return StepOutcome.Next;
    }

    /// <summary>
    /// The old source's processes, files and volume go (it was fenced), and a build makes it anew as a replica of the
    /// new source, with its id, flavor and volume size: BUILD until it has caught up.
    /// </summary>
    private async Task<StepOutcome> RebuildOldSourceAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        var old = await instances.GetAsync(context.InstanceId, cancellationToken);
        if (old is null || old.Task != InstanceTask.Ejecting)
            return StepOutcome.Next; // Deleted meanwhile, or the rebuild has already begun.
        await compute.StopGuestAsync(old.Id, TimeSpan.Zero, cancellationToken);
        await compute.ReleaseAsync(old.Id, cancellationToken);
        await volumes.DeleteAsync(old.Id, cancellationToken);
        await instances.ResetForRebuildAsync(old.Id, cancellationToken);

        var elected = context.RequireString(ElectedKey);
        old.ReplicaOf = elected;
        var version = await catalog.GetVersionAsync(old.DatastoreVersionId, cancellationToken);
        var snapshot = version?.Capabilities.ReplicaSeed == ReplicaSeeds.Backup ? Guid.NewGuid().ToString() : null;
        if (!await instances.TryBeginAsync(old.Id, InstanceTask.Building, ProvisionInstanceWorkflow.Create(old, [], [], replicaSnapshotId: snapshot),
                [InstanceTask.Ejecting], cancellationToken))
            return StepOutcome.Next;
        await instances.AddFaultAsync(old.Id, $"Replaced as the source of its replication set by instance {elected} " +
            $"({context.GetString(ReasonKey)}); rebuilt as its replica. Writes it took that no replica received were discarded.", null, cancellationToken);
        return StepOutcome.Next;
    }

    private async Task<StepOutcome> CompleteAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        var elected = context.RequireString(ElectedKey);
        var replicaOf = new Dictionary<string, string?> { [elected] = null };
        foreach (var replica in Replicas(context).Where(r => r != elected))
            replicaOf[replica] = elected;
        await instances.FinishSetAsync(Replicas(context), InstanceTask.Ejecting, InstanceTask.None, replicaOf, cancellationToken);
        await endpoints.TryApplyAsync(cancellationToken);
        if (EventId(context) is { } eventId)
            await setStore.FinishEventAsync(eventId, "succeeded", null, cancellationToken);
        LogEjected(context.InstanceId, elected, Automatic(context));
        return StepOutcome.Next;
    }

    public async Task OnFailedAsync(WorkflowContext context, WorkflowFault fault, CancellationToken cancellationToken)
    {
        var message = $"{(Automatic(context) ? "Automatic failover" : "Ejecting the replica source")} failed at step '{fault.Step}': {fault.Message}";
        await instances.AddFaultAsync(context.GetString(ElectedKey) ?? context.InstanceId, message, fault.Details, cancellationToken);
        await instances.FinishSetAsync([context.InstanceId, .. Replicas(context)], InstanceTask.Ejecting, InstanceTask.EjectionError, null, cancellationToken);
        if (EventId(context) is { } eventId)
            await setStore.FinishEventAsync(eventId, "failed", message, cancellationToken);
    }

    private static long? EventId(WorkflowContext context) => context.Data[EventKey]?.GetValue<long>();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Eject: replica {InstanceId} did not answer ({Reason}); not a candidate")]
    private partial void LogUnreachable(string instanceId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Eject: replica {InstanceId} elected at position {Position}")]
    private partial void LogElected(string instanceId, string position);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Source {OldSource} replaced by {NewSource} (automatic: {Automatic}); the old source is rebuilt as a replica")]
    private partial void LogEjected(string oldSource, string newSource, bool automatic);
}
