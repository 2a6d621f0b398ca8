namespace Hoard.Server.TaskManager;

/// <summary>
/// Rebuilds the host's access rules from the state DB when the server starts (they survive a server crash, not a
/// host reboot), then again every 30 s: rules someone flushed, or a change whose workflow was abandoned, come back
/// to what is stored. Creates, updates and deletes apply their rules at once; this is the level-triggered backstop.
/// </summary>
internal sealed partial class NetworkAccessReconciler(NetworkAccessSync sync, TimeProvider time, ILogger<NetworkAccessReconciler> logger)
    : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            do
            {
                try
                {
                    await sync.ApplyAsync(stoppingToken);
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

    [LoggerMessage(Level = LogLevel.Error, Message = "Applying the instances' network access rules failed")]
    private partial void LogFailed(Exception e);
}
