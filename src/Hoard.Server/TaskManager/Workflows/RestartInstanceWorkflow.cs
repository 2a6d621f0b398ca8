using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Messaging.Clients;
using Hoard.Persistence;

namespace Hoard.Server.TaskManager.Workflows;

/// <summary>REBOOT: the guest restarts its database server; ACTIVE again once it reports healthy.</summary>
internal sealed class RestartInstanceWorkflow(InstanceStore instances, IMessageBus bus) : IWorkflow
{
    public const string Name = "restart_instance";
    private static readonly TimeSpan RestartTimeout = TimeSpan.FromSeconds(120);

    public string Type => Name;

    public IReadOnlyList<WorkflowStep> Steps =>
    [
        new("restart_server", RestartTimeout + TimeSpan.FromSeconds(10), RestartAsync),
        new("await_healthy", TimeSpan.FromSeconds(60), AwaitHealthyAsync),
        new("complete", TimeSpan.FromSeconds(30), CompleteAsync),
    ];

    public static WorkflowRecord Create(string instanceId, DateTimeOffset now) => new()
    {
        Id = Guid.NewGuid().ToString(), Type = Name, InstanceId = instanceId, Created = now, Updated = now,
    };

    private async Task<StepOutcome> RestartAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        await new GuestClient(bus, context.InstanceId).RestartAsync(RestartTimeout, cancellationToken);
        return StepOutcome.Next;
    }

    private async Task<StepOutcome> AwaitHealthyAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        var instance = await instances.GetAsync(context.InstanceId, cancellationToken);
        return instance?.ServiceStatus is ServiceStatus.Healthy or ServiceStatus.Running
            ? StepOutcome.Next
            : StepOutcome.WaitFor(TimeSpan.FromMilliseconds(500));
    }

    private async Task<StepOutcome> CompleteAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        await instances.TrySetTaskAsync(context.InstanceId, InstanceTask.Rebooting, InstanceTask.None, cancellationToken);
        return StepOutcome.Next;
    }

    public async Task OnFailedAsync(WorkflowContext context, WorkflowFault fault, CancellationToken cancellationToken)
    {
        // The instance leaves REBOOT (unless a delete took over); its status then shows what the guest reports,
        // and the fault says why.
        await instances.TrySetTaskAsync(context.InstanceId, InstanceTask.Rebooting, InstanceTask.None, cancellationToken);
        await instances.AddFaultAsync(context.InstanceId, $"Restarting the instance failed at step '{fault.Step}': {fault.Message}",
            fault.Details, cancellationToken);
    }
}
