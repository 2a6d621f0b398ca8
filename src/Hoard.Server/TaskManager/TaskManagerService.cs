using Hoard.Contracts;
using Hoard.Contracts.Bus;
using Hoard.Core.Workflows;
using Hoard.Server.Hosting;

namespace Hoard.Server.TaskManager;

/// <summary>
/// The taskmanager role: drives persisted workflows, claiming new ones and taking over those whose task manager's lease
/// expired. When the roles run in separate processes it also listens for their signals: new workflows on the shared
/// <c>taskmanager</c> topic, wakes for the workflows it drives on its own topic.
/// </summary>
internal sealed class TaskManagerService(WorkflowEngine engine, IMessageBus bus, IWorkflowSignalRelay? relay = null) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (relay is null)
        {
            await engine.RunAsync(stoppingToken);
            return;
        }

        await using var created = await bus.SubscribeAsync(BusTopics.TaskManager, (message, _) =>
        {
            if (message.Method == BusWorkflowRelay.WorkflowCreatedMethod)
            {
                engine.PokeHere();
            }

            return Task.FromResult<System.Text.Json.JsonElement?>(null);
        }, stoppingToken);
        await using var wakes = await bus.SubscribeAsync(BusTopics.TaskManagerProcess(engine.Owner), (message, _) =>
        {
            if (message.Method == BusWorkflowRelay.WakeMethod &&
                HoardJson.FromElement<Dictionary<string, string>>(message.Args).TryGetValue(BusWorkflowRelay.InstanceIdKey, out var id))
            {
                engine.WakeHere(id);
            }

            return Task.FromResult<System.Text.Json.JsonElement?>(null);
        }, stoppingToken);
        await engine.RunAsync(stoppingToken);
    }
}
