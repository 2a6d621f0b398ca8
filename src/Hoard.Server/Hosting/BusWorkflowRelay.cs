using System.Text.Json;
using Hoard.Contracts;
using Hoard.Contracts.Bus;
using Hoard.Core.Workflows;
using Hoard.Persistence;

namespace Hoard.Server.Hosting;

/// <summary>
/// The engine's signals across processes, over the bus: a new workflow is cast to the <c>taskmanager</c> topic (one task
/// manager takes it and scans at once), a wake to the topic of each task manager that holds a running workflow of the
/// instance (<see cref="BusTopics.TaskManagerProcess"/>). Casts are not awaited by the caller; a failure is logged and
/// costs only latency (task managers also scan every second and re-run waiting steps on their own).
/// </summary>
internal sealed partial class BusWorkflowRelay(
    IMessageBus bus,
    WorkflowStore workflows,
    ProcessIdentity identity,
    ILogger<BusWorkflowRelay> logger) : IWorkflowSignalRelay
{
    public const string WorkflowCreatedMethod = "workflow_created";
    public const string WakeMethod = "wake";
    public const string InstanceIdKey = "instance_id";

    public void WorkflowCreated() => _ = SendAsync(async () =>
        await bus.CastAsync(BusTopics.TaskManager, WorkflowCreatedMethod, null, CancellationToken.None), WorkflowCreatedMethod);

    public void Wake(string instanceId) => _ = SendAsync(async () =>
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var args = JsonSerializer.SerializeToElement(new Dictionary<string, string> { [InstanceIdKey] = instanceId },
            HoardJson.Default.DictionaryStringString);
        foreach (var owner in await workflows.RunningOwnersAsync(instanceId, deadline.Token))
        {
            // This process's own engine was asked already (it did not drive the workflow a moment ago).
            if (owner != identity.Id)
            {
                await bus.CastAsync(BusTopics.TaskManagerProcess(owner), WakeMethod, args, deadline.Token);
            }
        }
    }, WakeMethod);

    private async Task SendAsync(Func<Task> send, string what)
    {
        try
        {
            await send();
        }
        catch (Exception e)
        {
            LogRelayFailed(e, what);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Relaying '{What}' to the task managers failed; they find it on their next scan")]
    private partial void LogRelayFailed(Exception e, string what);
}
