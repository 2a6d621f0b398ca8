using Hoard.Contracts.Guest;
using Hoard.Core.Instances;
using Hoard.Persistence;

namespace Hoard.Server.TaskManager;

/// <summary>
/// Catches up every instance whose guest does not have its group's current values: a group edited while the
/// instance was busy (restarting, backing up), or a change interrupted by a server crash. The API starts the
/// same work at once when it can; this is the level-triggered backstop.
/// </summary>
internal sealed partial class ConfigurationReconciler(
    InstanceStore instances,
    DesiredConfigurations configurations,
    ConfigurationApplier applier,
    TimeProvider time,
    ILogger<ConfigurationReconciler> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await ReconcileAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogFailed(e);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    internal async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        foreach (var instance in await instances.ListConfiguredAsync(cancellationToken))
        {
            if (!ConfigurationApplier.StartableFrom.Contains(instance.Task) || instance.ServerStatus != ServerStatus.Active ||
                instance.ServiceStatus is not (ServiceStatus.Healthy or ServiceStatus.Running))
            {
                continue;
            }

            var desired = await configurations.DesiredAsync(instance, cancellationToken);
            if (desired.DiffersFrom(instance) && await applier.TryApplyAsync(instance, cancellationToken))
            {
                LogStarted(instance.Id);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Instance {InstanceId} lacks its configuration group's current values; applying them")]
    private partial void LogStarted(string instanceId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reconciling configurations failed")]
    private partial void LogFailed(Exception e);
}
