using Hoard.Core.Backups;
using Hoard.Core.Instances;
using Hoard.Persistence;

namespace Hoard.Server.TaskManager;

/// <summary>
/// The last line of defence against an instance stuck in BUILD (or REBOOT, or SHUTDOWN while deleting): a task
/// in progress with no workflow running for it becomes an error a user can see and act on.
/// </summary>
internal sealed partial class OrphanedTaskReaper(
    InstanceStore instances,
    BackupStore backups,
    BackupPipeline pipeline,
    TimeProvider time,
    ILogger<OrphanedTaskReaper> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await ReapAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    internal async Task ReapAsync(CancellationToken cancellationToken)
    {
        foreach (var instance in await instances.ListOrphanedTasksAsync(time.GetUtcNow() - Interval, cancellationToken))
        {
            var (to, what) = instance.Task switch
            {
                InstanceTask.Building => (InstanceTask.BuildingError, "Building"),
                InstanceTask.Deleting => (InstanceTask.DeletingError, "Deleting"),
                InstanceTask.Updating => (InstanceTask.None, "Updating"),
                InstanceTask.BackingUp => (InstanceTask.None, "Backing up"),
                _ => (InstanceTask.None, instance.Task == InstanceTask.Rebooting ? "Restarting" : "Resizing"),
            };
            if (!await instances.TrySetTaskAsync(instance.Id, instance.Task, to, cancellationToken))
            {
                continue;
            }

            LogReaped(instance.Id, instance.Task.ToString());
            if (instance.Task == InstanceTask.BackingUp)
            {
                await FailBackupsAsync(instance.Id, cancellationToken);
            }

            await instances.AddFaultAsync(instance.Id, $"{what} the instance stopped before it finished.",
                "No workflow was running for the task; it was ended so that the instance can be deleted or retried.", cancellationToken);
        }
    }

    private async Task FailBackupsAsync(string instanceId, CancellationToken cancellationToken)
    {
        foreach (var backup in await backups.FailRunningAsync(instanceId,
                     "The backup stopped before it finished: no workflow was running for it. Start a new backup.", cancellationToken))
        {
            await pipeline.DeleteAsync(backup, cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Instance {InstanceId} showed task {Task} with no workflow running; ended it with a fault")]
    private partial void LogReaped(string instanceId, string task);
}
