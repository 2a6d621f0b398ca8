using System.Text.Json.Nodes;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;

namespace Hoard.Server.TaskManager.Workflows;

/// <summary>
/// Trove's access update (task UPDATING, shown as ACTIVE): the API stored the new allowed networks with this
/// workflow, which brings the host's rules to them and ends the task. Rules that cannot be applied change nothing:
/// the stored networks go back to the previous ones, and the fault says why.
/// </summary>
internal sealed class UpdateAccessWorkflow(InstanceStore instances, NetworkAccessStore store, NetworkAccessSync sync) : IWorkflow
{
    public const string Name = "update_access";

    private const string WasRestartRequiredKey = "was_restart_required";
    private const string PreviousKey = "previous_allowed_cidrs";
    private const string DesiredKey = "allowed_cidrs";

    public string Type => Name;

    public IReadOnlyList<WorkflowStep> Steps =>
    [
        new("apply_rules", TimeSpan.FromSeconds(30), ApplyAsync),
        new("complete", TimeSpan.FromSeconds(30), CompleteAsync),
    ];

    public static WorkflowRecord Create(InstanceRecord instance, string? allowedCidrs, DateTimeOffset now) => new()
    {
        Id = Guid.NewGuid().ToString(), Type = Name, InstanceId = instance.Id, Created = now, Updated = now,
        Data = new JsonObject
        {
            [WasRestartRequiredKey] = instance.Task == InstanceTask.RestartRequired,
            [PreviousKey] = instance.AllowedCidrs,
            [DesiredKey] = allowedCidrs,
        }.ToJsonString(),
    };

    private async Task<StepOutcome> ApplyAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        await sync.ApplyAsync(cancellationToken);
        return StepOutcome.Next;
    }

    private async Task<StepOutcome> CompleteAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        await instances.TrySetTaskAsync(context.InstanceId, InstanceTask.Updating,
            WasRestartRequired(context) ? InstanceTask.RestartRequired : InstanceTask.None, cancellationToken);
        return StepOutcome.Next;
    }

    public async Task OnFailedAsync(WorkflowContext context, WorkflowFault fault, CancellationToken cancellationToken)
    {
        var reverted = await store.TryRevertAsync(context.InstanceId, context.GetString(DesiredKey), context.GetString(PreviousKey),
            cancellationToken);
        if (reverted)
        {
            try
            {
                await sync.ApplyAsync(cancellationToken);
            }
            catch (Exception e) when (e is InvalidOperationException or IOException)
            {
                // The reconciler tries again within 30 s; the fault below already says the change failed.
            }
        }

        await instances.TrySetTaskAsync(context.InstanceId, InstanceTask.Updating,
            WasRestartRequired(context) ? InstanceTask.RestartRequired : InstanceTask.None, cancellationToken);
        var outcome = reverted ? " The previous allowed networks stay in force." : "";
        await instances.AddFaultAsync(context.InstanceId,
            $"Updating the instance's access failed at step '{fault.Step}': {fault.Message}{outcome}", fault.Details, cancellationToken);
    }

    private static bool WasRestartRequired(WorkflowContext context) => context.Data[WasRestartRequiredKey]?.GetValue<bool>() == true;
}
