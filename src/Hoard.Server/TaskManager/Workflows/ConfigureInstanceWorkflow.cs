using System.Text.Json.Nodes;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Messaging.Clients;
using Hoard.Persistence;

namespace Hoard.Server.TaskManager.Workflows;

/// <summary>
/// Brings an instance's guest to its configuration group's values: the guest applies the dynamic ones live and
/// writes all of them to its configuration; a change that needs a restart leaves the instance RESTART_REQUIRED.
/// A value the server refuses changes nothing: an attach is undone, and the fault says why.
/// </summary>
internal sealed class ConfigureInstanceWorkflow(InstanceStore instances, DesiredConfigurations configurations, IMessageBus bus) : IWorkflow
{
    public const string Name = "configure_instance";
    private static readonly TimeSpan GuestTimeout = TimeSpan.FromSeconds(60);

    // A group edited while its values are being applied is applied again, this many times at most in one run.
    private const int MaxRounds = 3;

    private const string WasRestartRequiredKey = "was_restart_required";
    private const string RevertKey = "revert";
    private const string PreviousKey = "previous_configuration_id";
    private const string AttachedKey = "attached_configuration_id";
    private const string DesiredKey = "desired";
    private const string AppliedKey = "applied";
    private const string PendingKey = "pending_restart";

    public string Type => Name;

    public IReadOnlyList<WorkflowStep> Steps =>
    [
        new("apply", GuestTimeout * MaxRounds + TimeSpan.FromSeconds(30), ApplyAsync),
        new("complete", TimeSpan.FromSeconds(30), CompleteAsync),
    ];

    /// <param name="revertTo">For an attach or detach: the group before and after, so a refusal can be undone.</param>
    public static WorkflowRecord Create(InstanceRecord instance, (string? Previous, string? Attached)? revertTo, DateTimeOffset now)
    {
        var data = new JsonObject { [WasRestartRequiredKey] = instance.Task == InstanceTask.RestartRequired };
        if (revertTo is { } change)
        {
            data[RevertKey] = true;
            data[PreviousKey] = change.Previous;
            data[AttachedKey] = change.Attached;
        }

        return new WorkflowRecord
        {
            Id = Guid.NewGuid().ToString(), Type = Name, InstanceId = instance.Id, Created = now, Updated = now, Data = data.ToJsonString(),
        };
    }

    private async Task<StepOutcome> ApplyAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        var guest = new GuestClient(bus, context.InstanceId, GuestTimeout);
        for (var round = 0; round < MaxRounds; round++)
        {
            var instance = await instances.GetAsync(context.InstanceId, cancellationToken);
            if (instance is null || instance.Task != InstanceTask.Updating)
            {
                return StepOutcome.Next; // Deleted, or a delete took over: nothing left to configure.
            }

            var desired = await configurations.DesiredAsync(instance, cancellationToken);
            if (context.GetString(AppliedKey) == desired.Digest)
            {
                return StepOutcome.Next;
            }

            context.Data[DesiredKey] = desired.Digest;
            UpdateOverridesResult result;
            try
            {
                result = await guest.UpdateOverridesAsync(
                    new UpdateOverridesRequest(desired.Flavor.RamMb, desired.Overrides, desired.Rules.RestartRequired), cancellationToken);
            }
            catch (RemoteCallException e) when (e.Code == GuestErrorCodes.NotReady)
            {
                return StepOutcome.WaitFor(TimeSpan.FromSeconds(2));
            }
            catch (RemoteCallException e)
            {
                return StepOutcome.Fail(e.Message, e.Code);
            }

            context.Data[AppliedKey] = desired.Digest;
            if (result.PendingRestart.Count > 0)
            {
                context.Data[PendingKey] = true;
            }
        }

        return StepOutcome.Next;
    }

    private async Task<StepOutcome> CompleteAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        if (context.GetString(AppliedKey) is { } applied)
        {
            var restart = context.Data[PendingKey]?.GetValue<bool>() == true || WasRestartRequired(context);
            await instances.TryFinishConfigurationAsync(context.InstanceId, InstanceTask.Updating,
                restart ? InstanceTask.RestartRequired : InstanceTask.None, applied, cancellationToken);
        }

        return StepOutcome.Next;
    }

    public async Task OnFailedAsync(WorkflowContext context, WorkflowFault fault, CancellationToken cancellationToken)
    {
        var back = WasRestartRequired(context) ? InstanceTask.RestartRequired : InstanceTask.None;
        var reverted = context.Data[RevertKey]?.GetValue<bool>() == true &&
                       await instances.TrySetConfigurationAsync(context.InstanceId, InstanceTask.Updating,
                           context.GetString(AttachedKey), context.GetString(PreviousKey), cancellationToken);
        if (!reverted && context.GetString(DesiredKey) is { } desired)
        {
            // Remembered so that the reconciler does not offer the guest the same refused values again.
            await instances.SetConfigurationAppliedAsync(context.InstanceId, ConfigurationApplier.Failed(desired), cancellationToken);
        }

        await instances.TrySetTaskAsync(context.InstanceId, InstanceTask.Updating, back, cancellationToken);
        var outcome = reverted ? " The change was undone." : " The instance keeps its previous settings.";
        await instances.AddFaultAsync(context.InstanceId,
            $"Applying the configuration failed at step '{fault.Step}': {fault.Message}{outcome}", fault.Details, cancellationToken);
    }

    private static bool WasRestartRequired(WorkflowContext context) => context.Data[WasRestartRequiredKey]?.GetValue<bool>() == true;
}
