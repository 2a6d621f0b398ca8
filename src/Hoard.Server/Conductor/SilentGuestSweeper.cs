using Hoard.Contracts.Guest;
using Hoard.Core.Instances;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Conductor;

/// <summary>
/// The conductor's watch for silence: an ACTIVE instance whose guest has not reported for <c>HeartbeatExpirySeconds</c> is
/// marked SHUTDOWN. One conductor at a time runs it (<see cref="LeaderOnlyService{TJob}"/>), so each silence is one event.
/// </summary>
internal sealed partial class SilentGuestSweeper(
    InstanceStore instances,
    EventStore events,
    IOptions<HoardOptions> options,
    TimeProvider time,
    ILogger<SilentGuestSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var expiry = TimeSpan.FromSeconds(options.Value.HeartbeatExpirySeconds);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, expiry.TotalSeconds / 4)), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await MarkSilentAsync(expiry, stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    LogSweepFailed(e);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task MarkSilentAsync(TimeSpan expiry, CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - expiry;
        foreach (var instance in await instances.ListAsync(null, int.MaxValue, null, cancellationToken))
        {
            if (instance.ServerStatus == ServerStatus.Active && instance.Task == InstanceTask.None &&
                instance.ServiceStatus != ServiceStatus.Shutdown && instance.ServiceStatusUpdated < cutoff)
            {
                LogSilent(instance.Id, expiry.TotalSeconds);
                await instances.SetServiceStatusAsync(instance.Id, ServiceStatus.Shutdown, instance.ServiceStatusUpdated!.Value, cancellationToken);
                await events.AddAsync(instance.ProjectId, instance.Id, EventStore.StatusChanged,
                    $"Service status {ServiceStatus.Shutdown} (was {instance.ServiceStatus}): no heartbeat for {expiry.TotalSeconds:0} s", null, cancellationToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Instance {InstanceId} has been silent for over {Seconds} s; marked SHUTDOWN")]
    private partial void LogSilent(string instanceId, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Looking for silent guests failed")]
    private partial void LogSweepFailed(Exception e);
}
