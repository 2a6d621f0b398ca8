using Hoard.Core.Compute;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;

namespace Hoard.Server.TaskManager.Workflows;

/// <summary>Stop the guest and its server, remove the instance's files, volume and address, then forget it.</summary>
internal sealed class DeleteInstanceWorkflow(
    InstanceStore instances,
    ConductorStore conductor,
    IComputeProvider compute,
    IVolumeProvider volumes) : IWorkflow
{
    public const string Name = "delete_instance";

    public string Type => Name;

    public IReadOnlyList<WorkflowStep> Steps =>
    [
        new("stop_guest", TimeSpan.FromSeconds(60), StopAsync),
        new("release_resources", TimeSpan.FromSeconds(60), ReleaseAsync),
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
        // Again, and idempotent: nothing that started meanwhile (a reconciler, say) may outlive its files.
        await compute.StopGuestAsync(context.InstanceId, TimeSpan.FromSeconds(5), cancellationToken);
        await compute.ReleaseAsync(context.InstanceId, cancellationToken);
        await volumes.DeleteAsync(context.InstanceId, cancellationToken);
        return StepOutcome.Next;
    }

    private async Task<StepOutcome> ForgetAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        await conductor.ForgetAsync(context.InstanceId, cancellationToken);
        await instances.MarkDeletedAsync(context.InstanceId, cancellationToken);
        return StepOutcome.Next;
    }

    public async Task OnFailedAsync(WorkflowContext context, WorkflowFault fault, CancellationToken cancellationToken)
    {
        await instances.SetTaskAsync(context.InstanceId, InstanceTask.DeletingError, cancellationToken);
        await instances.AddFaultAsync(context.InstanceId, $"Deleting the instance failed at step '{fault.Step}': {fault.Message}",
            fault.Details, cancellationToken);
    }
}
