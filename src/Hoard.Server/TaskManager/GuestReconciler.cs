using Hoard.Contracts.Guest;
using Hoard.Core.Compute;
using Hoard.Core.Instances;
using Hoard.Persistence;
using Hoard.Server.Hosting;

namespace Hoard.Server.TaskManager;

/// <summary>
/// Keeps every ACTIVE instance's guest running: after a host reboot, or when a guest died, it is started again
/// (the guest then starts its prepared database server). Instances with a task in progress are left to it. A guest
/// is started again only once the conductor has marked the instance SHUTDOWN (its guest silent for
/// <c>HeartbeatExpirySeconds</c>): one judge of whether a guest is gone, and the outage shows in operating_status.
/// Each start is recorded as the instance's fault: the database server was restarted with it, which users notice
/// (their connections dropped) after the SHUTDOWN is long gone.
/// </summary>
internal sealed partial class GuestReconciler(
    InstanceStore instances,
    CatalogStore catalog,
    IComputeProvider compute,
    IVolumeProvider volumes,
    GuestCredentials credentials,
    TimeProvider time,
    ILogger<GuestReconciler> logger) : BackgroundService
{
    public const string RestartedFault =
        "The guest agent was not running (it had stopped reporting); it was started again, and with it the database server.";

    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            do
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
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        foreach (var instance in await instances.ListAsync(null, int.MaxValue, null, cancellationToken))
        {
            if (instance.Task != InstanceTask.None || instance.ServerStatus != ServerStatus.Active || instance.Address is null ||
                (instance.ServiceStatus != ServiceStatus.Shutdown && instance.ServiceStatusUpdated is not null) ||
                await compute.IsGuestRunningAsync(instance.Id, cancellationToken))
            {
                continue;
            }

            var version = await catalog.GetVersionAsync(instance.DatastoreVersionId, cancellationToken);
            var flavor = await catalog.GetFlavorAsync(instance.FlavorId, cancellationToken);
            if (version is null || flavor is null)
            {
                continue;
            }

            // Re-read just before acting: a delete or restart may have begun since the list was taken.
            if (await instances.GetAsync(instance.Id, cancellationToken) is not { Task: InstanceTask.None })
            {
                continue;
            }

            LogRestarting(instance.Id);
            try
            {
                var (secret, brokerUser) = await credentials.IssueAsync(instance.Id, cancellationToken);
                var volume = await volumes.CreateAsync(instance.Id, instance.VolumeSize, cancellationToken);
                await compute.StartGuestAsync(new GuestLaunch(instance.Id, version.Manager, instance.Address, instance.Port, volume, secret,
                    flavor.RamMb, flavor.Vcpus, brokerUser),
                    cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One instance that cannot be started now (its host is down, with Hoard:Compute=hosts) must not keep
                // the others waiting: it is tried again next time.
                LogRestartFailed(instance.Id, e.Message);
                continue;
            }

            await instances.AddFaultAsync(instance.Id, RestartedFault,
                $"Last report: {instance.ServiceStatusUpdated:O}; started again: {time.GetUtcNow():O}.", cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The guest of instance {InstanceId} could not be started again: {Reason}")]
    private partial void LogRestartFailed(string instanceId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The guest of ACTIVE instance {InstanceId} is not running; starting it again")]
    private partial void LogRestarting(string instanceId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reconciling guests failed")]
    private partial void LogFailed(Exception e);
}
