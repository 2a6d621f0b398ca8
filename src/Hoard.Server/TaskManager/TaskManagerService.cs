using Hoard.Core.Workflows;

namespace Hoard.Server.TaskManager;

/// <summary>The taskmanager role: drives persisted workflows, resuming any that a previous run left unfinished.</summary>
internal sealed class TaskManagerService(WorkflowEngine engine) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => engine.RunAsync(stoppingToken);
}
