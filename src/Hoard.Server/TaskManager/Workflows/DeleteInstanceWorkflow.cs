using Hoard.Contracts.Bus;
using Hoard.Core.Compute;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;

namespace Hoard.Server.TaskManager.Workflows;

/// <summary>
/// Stop the guest and its server, remove the instance's files, volume and address, drop what waits for it on the bus,
/// then forget it. Works on an instance in any state, half-built ones included: every release is idempotent and
/// succeeds when there is nothing to release.
/// </summary>
internal sealed class DeleteInstanceWorkflow(
    InstanceStore instances,
    ConductorStore conductor,
    IComputeProvider compute,
    IVolumeProvider volumes,
    NetworkAccessSync networkAccess,
    Replication.ReplicationSets replication,
    Replication.WriteEndpointSync endpoints,
    Hosting.GuestCredentials credentials,
    IMessageBus bus) : IWorkflow
{
    public const string Name = "delete_instance";

    /// <summary>
    /// How long a step of an abandoned workflow may still act after it started: the engine cancels a step at its
    /// deadline, and the steps that allocate or start anything (provision's allocate_resources and start_guest) have 30 s.
    /// </summary>
    internal static readonly TimeSpan AbandonedStepGrace = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    public string Type => Name;

    public IReadOnlyList<WorkflowStep> Steps =>
    [
        new("stop_guest", TimeSpan.FromSeconds(60), StopAsync),
        new("release_resources", TimeSpan.FromSeconds(60), ReleaseAsync),
        new("settle", AbandonedStepGrace + TimeSpan.FromSeconds(60), SettleAsync),
        new("leave_replication_set", TimeSpan.FromSeconds(30), LeaveReplicationSetAsync),
        new("forget_instance", TimeSpan.FromSeconds(30), ForgetAsync),
    ];

    public static WorkflowRecord Create(string instanceId, DateTimeOffset now) => new()
    {
        Id = Guid.NewGuid().ToString(), Type = Name, InstanceId = instanceId, Created = now, Updated = now,
    };

    private async Task<StepOutcome> StopAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        await compute.StopGuestAsync(context.InstanceId, TimeSpan.FromSeconds(20), cancellationToken);
        return StepOutcome.Next;
    }

    private async Task<StepOutcome> ReleaseAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        await SweepAsync(context.InstanceId, cancellationToken);
        return StepOutcome.Next;
    }

    /// <summary>
    /// A workflow abandoned by reset_status (or by this delete) is stopped by the engine only at its next save, so the
    /// step it was running may still allocate an address, create a volume or start a guest after the release above.
    /// Until no such step can still act, sweep again; the last sweep comes after that moment.
    /// </summary>
    private async Task<StepOutcome> SettleAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        if (await instances.LatestAbandonedStepStartAsync(context.InstanceId, cancellationToken) is not { } started)
        {
            return StepOutcome.Next;
        }

        var settled = context.Time.GetUtcNow() >= started + AbandonedStepGrace;
        await SweepAsync(context.InstanceId, cancellationToken);
        return settled ? StepOutcome.Next : StepOutcome.WaitFor(SweepInterval);
    }

    /// <summary>A deleted replica's source frees what it kept for it (PostgreSQL's slot would hold WAL forever).</summary>
    private async Task<StepOutcome> LeaveReplicationSetAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        if (await instances.GetAsync(context.InstanceId, cancellationToken) is { ReplicaOf: { } sourceId })
            await replication.ForgetAsync(sourceId, context.InstanceId, cancellationToken);
        return StepOutcome.Next;
    }

    private async Task<StepOutcome> ForgetAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        await conductor.ForgetAsync(context.InstanceId, cancellationToken);
        await instances.MarkDeletedAsync(context.InstanceId, cancellationToken);
        // The last member of a replication set takes its write endpoint with it.
        await endpoints.TryApplyAsync(cancellationToken);
        return StepOutcome.Next;
    }

    /// <summary>Everything the instance may hold, released; each part is a no-op when there is nothing to release.</summary>
    private async Task SweepAsync(string instanceId, CancellationToken cancellationToken)
    {
        // Again, and idempotent: nothing that started meanwhile (a reconciler, say) may outlive its files.
        await compute.StopGuestAsync(instanceId, TimeSpan.FromSeconds(5), cancellationToken);
        // The row lets go of the address before the provider does: a new instance may get it at once.
        await instances.ClearAddressAsync(instanceId, cancellationToken);
        // Its rules go with the address, before the provider can hand the address to another instance.
        await networkAccess.ApplyAsync(cancellationToken);
        await compute.ReleaseAsync(instanceId, cancellationToken);
        await volumes.DeleteAsync(instanceId, cancellationToken);
        await DrainGuestTopicAsync(instanceId, cancellationToken);
        // Its guest is stopped: its broker user goes too (rabbitmq bus with broker users; else nothing).
        await credentials.RevokeAsync(instanceId, cancellationToken);
    }

    /// <summary>
    /// Messages queued for a guest that never subscribed (a prepare cast carries users' passwords) would otherwise stay
    /// in the bus's backlog: a subscriber of our own takes them and refuses them, so a waiting call fails at once.
    /// </summary>
    private async Task DrainGuestTopicAsync(string instanceId, CancellationToken cancellationToken)
    {
        var subscription = await bus.SubscribeAsync(BusTopics.Guest(instanceId),
            (_, _) => throw new HandlerException("InstanceDeleted", $"Instance {instanceId} is being deleted."), cancellationToken);
        await subscription.DisposeAsync();
    }

    public async Task OnFailedAsync(WorkflowContext context, WorkflowFault fault, CancellationToken cancellationToken)
    {
        await instances.SetTaskAsync(context.InstanceId, InstanceTask.DeletingError, cancellationToken);
        await instances.AddFaultAsync(context.InstanceId, $"Deleting the instance failed at step '{fault.Step}': {fault.Message}",
            fault.Details, cancellationToken);
    }
}
