using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Core.Catalog;
using Hoard.Core.Compute;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Messaging.Clients;
using Hoard.Persistence;

namespace Hoard.Server.TaskManager.Workflows;

/// <summary>
/// RESIZE (flavor): the guest re-tunes its flavor-derived settings (buffer pool, shared_buffers, maxmemory,
/// max_connections…) to the new flavor's RAM, keeping the configuration group's overrides; the compute provider
/// moves the resource limits; the database restarts; the new flavor is recorded only once it answers again.
/// Limits go up before the restart and down after it, so the server never runs above its limit.
/// </summary>
internal sealed class ResizeFlavorWorkflow(
    InstanceStore instances,
    CatalogStore catalog,
    DesiredConfigurations configurations,
    IComputeProvider compute,
    IMessageBus bus) : IWorkflow
{
    public const string Name = "resize_flavor";
    private const string OldFlavorKey = "old_flavor_id";
    private const string NewFlavorKey = "new_flavor_id";
    private const string RetunedKey = "retuned";
    private const string LimitsKey = "limits_applied";
    private const string RestartedAtKey = "restarted_at";
    private static readonly TimeSpan GuestTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RestartTimeout = TimeSpan.FromSeconds(120);

    public string Type => Name;

    public IReadOnlyList<WorkflowStep> Steps =>
    [
        new("retune_configuration", GuestTimeout + TimeSpan.FromSeconds(30), RetuneAsync),
        new("raise_resource_limits", TimeSpan.FromSeconds(30), (c, ct) => ApplyLimitsAsync(c, growing: true, ct)),
        new("restart_server", RestartTimeout + TimeSpan.FromSeconds(10), RestartAsync),
        new("await_healthy", TimeSpan.FromSeconds(60), AwaitHealthyAsync),
        new("lower_resource_limits", TimeSpan.FromSeconds(30), (c, ct) => ApplyLimitsAsync(c, growing: false, ct)),
        new("complete", TimeSpan.FromSeconds(30), CompleteAsync),
    ];

    public static WorkflowRecord Create(InstanceRecord instance, string newFlavorId, DateTimeOffset now) => new()
    {
        Id = Guid.NewGuid().ToString(), Type = Name, InstanceId = instance.Id, Created = now, Updated = now,
        Data = new System.Text.Json.Nodes.JsonObject { [OldFlavorKey] = instance.FlavorId, [NewFlavorKey] = newFlavorId }.ToJsonString(),
    };

    private async Task<StepOutcome> RetuneAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        if (await ResizingAsync(context, cancellationToken) is not { } instance)
        {
            return StepOutcome.Next; // A delete took over.
        }

        try
        {
            await RetuneAsync(instance, context.RequireString(NewFlavorKey), cancellationToken);
        }
        catch (RemoteCallException e) when (e.Code == GuestErrorCodes.NotReady)
        {
            return StepOutcome.WaitFor(TimeSpan.FromSeconds(2));
        }
        catch (RemoteCallException e)
        {
            return StepOutcome.Fail(e.Message, e.Code);
        }

        context.Data[RetunedKey] = true;
        return StepOutcome.Next;
    }

    private async Task<StepOutcome> ApplyLimitsAsync(WorkflowContext context, bool growing, CancellationToken cancellationToken)
    {
        var (from, to) = await FlavorsAsync(context, cancellationToken);
        if ((to.RamMb >= from.RamMb) == growing && await ResizingAsync(context, cancellationToken) is not null)
        {
            await compute.ApplyResourceLimitsAsync(context.InstanceId, to.RamMb, to.Vcpus, cancellationToken);
            context.Data[LimitsKey] = true;
        }

        return StepOutcome.Next;
    }

    private async Task<StepOutcome> RestartAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        if (await ResizingAsync(context, cancellationToken) is null)
        {
            return StepOutcome.Next;
        }

        context.Data[RestartedAtKey] = context.Time.GetUtcNow().ToUnixTimeMilliseconds();
        await new GuestClient(bus, context.InstanceId).RestartAsync(RestartTimeout, cancellationToken);
        return StepOutcome.Next;
    }

    private async Task<StepOutcome> AwaitHealthyAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        if (await ResizingAsync(context, cancellationToken) is not { } instance)
        {
            return StepOutcome.Next;
        }

        // A status reported before the restart says nothing about the restarted server.
        var restartedAt = DateTimeOffset.FromUnixTimeMilliseconds(context.Data[RestartedAtKey]?.GetValue<long>() ?? 0);
        return instance.ServiceStatus is ServiceStatus.Healthy or ServiceStatus.Running && instance.ServiceStatusUpdated >= restartedAt
            ? StepOutcome.Next
            : StepOutcome.WaitFor(TimeSpan.FromMilliseconds(250));
    }

    private async Task<StepOutcome> CompleteAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        await instances.TryFinishFlavorResizeAsync(context.InstanceId, context.RequireString(NewFlavorKey), cancellationToken);
        return StepOutcome.Next;
    }

    public async Task OnFailedAsync(WorkflowContext context, WorkflowFault fault, CancellationToken cancellationToken)
    {
        var oldFlavor = context.RequireString(OldFlavorKey);
        var undone = "";
        if (await ResizingAsync(context, cancellationToken) is { } instance)
        {
            // The flavor stays the old one, so its settings and limits must too.
            try
            {
                if (context.Data[RetunedKey] is not null)
                {
                    await RetuneAsync(instance, oldFlavor, cancellationToken);
                }

                if (context.Data[LimitsKey] is not null)
                {
                    var (from, _) = await FlavorsAsync(context, cancellationToken);
                    await compute.ApplyResourceLimitsAsync(context.InstanceId, from.RamMb, from.Vcpus, cancellationToken);
                }
            }
            catch (Exception e) when (e is RemoteCallException or InvalidOperationException or TimeoutException or IOException)
            {
                undone = $" Putting back the settings of flavor {oldFlavor} failed too ({e.Message}); restart the instance.";
            }
        }

        if (await instances.TrySetTaskAsync(context.InstanceId, InstanceTask.Resizing, InstanceTask.None, cancellationToken))
        {
            await instances.AddFaultAsync(context.InstanceId,
                $"Resizing to flavor {context.GetString(NewFlavorKey)} failed at step '{fault.Step}': {fault.Message} " +
                $"The instance keeps flavor {oldFlavor}.{undone}", fault.Details, cancellationToken);
        }
    }

    /// <summary>The guest's settings for <paramref name="flavorId"/>'s RAM with the instance's current overrides.</summary>
    private async Task RetuneAsync(InstanceRecord instance, string flavorId, CancellationToken cancellationToken)
    {
        instance.FlavorId = flavorId;
        var desired = await configurations.DesiredAsync(instance, cancellationToken);
        await new GuestClient(bus, instance.Id, GuestTimeout).UpdateOverridesAsync(
            new UpdateOverridesRequest(desired.Flavor.RamMb, desired.Overrides, desired.Rules.RestartRequired), cancellationToken);
    }

    private async Task<(Flavor From, Flavor To)> FlavorsAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        async Task<Flavor> GetAsync(string key) => await catalog.GetFlavorAsync(context.RequireString(key), cancellationToken)
                                                   ?? throw new InvalidOperationException($"Flavor {context.GetString(key)} is gone.");
        return (await GetAsync(OldFlavorKey), await GetAsync(NewFlavorKey));
    }

    private async Task<InstanceRecord?> ResizingAsync(WorkflowContext context, CancellationToken cancellationToken) =>
        await instances.GetAsync(context.InstanceId, cancellationToken) is { Task: InstanceTask.Resizing } instance ? instance : null;
}
