using Hoard.Contracts.Guest;
using Hoard.Core.Compute;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;
using Hoard.Server.Hosting;

namespace Hoard.Server.TaskManager.Workflows;

/// <summary>
/// RESIZE (volume): the volume provider grows the volume and its filesystem, while the database runs where the host
/// allows it, else with the guest stopped for the offline grow and started again; the new size is recorded only once
/// the filesystem grew and the database answers. How long the database was down is measured and logged.
/// </summary>
internal sealed partial class ResizeVolumeWorkflow(
    InstanceStore instances,
    CatalogStore catalog,
    IComputeProvider compute,
    IVolumeProvider volumes,
    GuestCredentials credentials,
    ILogger<ResizeVolumeWorkflow> logger) : IWorkflow
{
    public const string Name = "resize_volume";
    private const string OldSizeKey = "old_size";
    private const string NewSizeKey = "new_size";
    private const string OnlineKey = "grew_online";
    private const string GrowMsKey = "grow_ms";
    private const string StoppedAtKey = "stopped_at";
    private const string StartedAtKey = "guest_started_at";
    private const string DowntimeMsKey = "downtime_ms";
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(30);

    public string Type => Name;

    public IReadOnlyList<WorkflowStep> Steps =>
    [
        new("grow_volume", TimeSpan.FromSeconds(120), GrowAsync),
        new("start_guest", TimeSpan.FromSeconds(60), StartGuestAsync),
        new("await_healthy", TimeSpan.FromSeconds(120), AwaitHealthyAsync),
        new("complete", TimeSpan.FromSeconds(30), CompleteAsync),
    ];

    public static WorkflowRecord Create(InstanceRecord instance, int newSizeGb, DateTimeOffset now) => new()
    {
        Id = Guid.NewGuid().ToString(), Type = Name, InstanceId = instance.Id, Created = now, Updated = now,
        Data = new System.Text.Json.Nodes.JsonObject { [OldSizeKey] = instance.VolumeSize, [NewSizeKey] = newSizeGb }.ToJsonString(),
    };

    private async Task<StepOutcome> GrowAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        if (await ResizingAsync(context, cancellationToken) is null)
        {
            return StepOutcome.Next; // A delete took over.
        }

        var started = context.Time.GetTimestamp();
        var online = await volumes.ResizeAsync(context.InstanceId, NewSize(context), async ct =>
        {
            context.Data[StoppedAtKey] = context.Time.GetUtcNow().ToUnixTimeMilliseconds();
            await compute.StopGuestAsync(context.InstanceId, StopGrace, ct);
        }, cancellationToken);
        context.Data[OnlineKey] = online;
        context.Data[GrowMsKey] = (long)context.Time.GetElapsedTime(started).TotalMilliseconds;
        return StepOutcome.Next;
    }

    /// <summary>Starts the guest again if the offline grow (in this run or one a crash interrupted) stopped it.</summary>
    private async Task<StepOutcome> StartGuestAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        var instance = await ResizingAsync(context, cancellationToken);
        if (instance?.Address is null || await compute.IsGuestRunningAsync(context.InstanceId, cancellationToken))
        {
            return StepOutcome.Next;
        }

        var version = await catalog.GetVersionAsync(instance.DatastoreVersionId, cancellationToken)
                      ?? throw new InvalidOperationException($"Datastore version {instance.DatastoreVersionId} is gone.");
        var flavor = await catalog.GetFlavorAsync(instance.FlavorId, cancellationToken)
                     ?? throw new InvalidOperationException($"Flavor {instance.FlavorId} is gone.");
        context.Data[StartedAtKey] = context.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var (secret, brokerUser) = await credentials.IssueAsync(instance.Id, cancellationToken);
        // Mounted already (the grow mounted it again); this only returns where.
        var volume = await volumes.CreateAsync(instance.Id, NewSize(context), cancellationToken);
        await compute.StartGuestAsync(new GuestLaunch(instance.Id, version.Manager, instance.Address, instance.Port, volume, secret,
            flavor.RamMb, flavor.Vcpus, brokerUser),
            cancellationToken);
        return StepOutcome.Next;
    }

    private async Task<StepOutcome> AwaitHealthyAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        var instance = await ResizingAsync(context, cancellationToken);
        if (instance is null || context.Data[StartedAtKey] is null)
        {
            return StepOutcome.Next; // Grown online: the database never stopped.
        }

        // A status reported before the new guest started says nothing about the restarted server.
        var startedAt = DateTimeOffset.FromUnixTimeMilliseconds(context.Data[StartedAtKey]!.GetValue<long>());
        if (instance.ServiceStatus is not (ServiceStatus.Healthy or ServiceStatus.Running) || instance.ServiceStatusUpdated < startedAt)
        {
            return StepOutcome.WaitFor(TimeSpan.FromMilliseconds(250));
        }

        if (context.Data[StoppedAtKey] is { } stoppedAt)
        {
            context.Data[DowntimeMsKey] = context.Time.GetUtcNow().ToUnixTimeMilliseconds() - stoppedAt.GetValue<long>();
        }

        return StepOutcome.Next;
    }

    private async Task<StepOutcome> CompleteAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        if (await instances.TryFinishVolumeResizeAsync(context.InstanceId, NewSize(context), cancellationToken))
        {
            var online = context.Data[OnlineKey]?.GetValue<bool>() ?? false;
            LogResized(context.InstanceId, context.Data[OldSizeKey]?.GetValue<int>() ?? 0, NewSize(context),
                online ? "online" : "offline", context.Data[GrowMsKey]?.GetValue<long>() ?? -1,
                online ? 0 : context.Data[DowntimeMsKey]?.GetValue<long>() ?? -1);
        }

        return StepOutcome.Next;
    }

    public async Task OnFailedAsync(WorkflowContext context, WorkflowFault fault, CancellationToken cancellationToken)
    {
        // The recorded size stays the old one. A guest the offline grow stopped is started again by the guest
        // reconciler (which mounts the volume first) once the task is back to none.
        if (await instances.TrySetTaskAsync(context.InstanceId, InstanceTask.Resizing, InstanceTask.None, cancellationToken))
        {
            await instances.AddFaultAsync(context.InstanceId,
                $"Resizing the volume to {NewSize(context)} GB failed at step '{fault.Step}': {fault.Message} " +
                $"The instance keeps its {context.Data[OldSizeKey]?.GetValue<int>()} GB volume.", fault.Details, cancellationToken);
        }
    }

    private static int NewSize(WorkflowContext context) => context.Data[NewSizeKey]!.GetValue<int>();

    private async Task<InstanceRecord?> ResizingAsync(WorkflowContext context, CancellationToken cancellationToken) =>
        await instances.GetAsync(context.InstanceId, cancellationToken) is { Task: InstanceTask.Resizing } instance ? instance : null;

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Resized the volume of instance {InstanceId} from {OldGb} to {NewGb} GB {Mode}: grow {GrowMs} ms, database down {DowntimeMs} ms")]
    private partial void LogResized(string instanceId, int oldGb, int newGb, string mode, long growMs, long downtimeMs);
}
