using Hoard.Core.Backups;
using Hoard.Core.PointInTime;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Hoard.Server.TaskManager;

/// <summary>
/// Keeps the WAL archive to what restores can use: an instance's files go with the instance (unless a build is still
/// restoring from them), and files older than every backup that could replay them go once no running backup can need them
/// (<see cref="WalRetention"/>). Storage first, then the row, so that a failure leaves a row to retry rather than data nobody knows.
/// </summary>
internal sealed partial class WalArchiveJanitor(
    WalArchiveStore walArchive,
    RecoveryWindows windows,
    BackupPipeline pipeline,
    IOptions<HoardOptions> options,
    TimeProvider time,
    ILogger<WalArchiveJanitor> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await CleanAsync(stoppingToken);
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

    internal async Task CleanAsync(CancellationToken cancellationToken)
    {
        // A backup running now began at most BackupTimeoutSeconds ago; the WAL from its start must still be there when it completes.
        var keepAfter = time.GetUtcNow() - TimeSpan.FromSeconds(options.Value.BackupTimeoutSeconds) - TimeSpan.FromHours(1);
        foreach (var (instanceId, gone) in await walArchive.ListArchivesAsync(cancellationToken))
        {
            if (await walArchive.IsRestoreSourceAsync(instanceId, cancellationToken))
                continue;
            var files = await walArchive.ListAsync(instanceId, cancellationToken);
            var unneeded = gone
                ? files
                : WalRetention.Unneeded(await windows.RecoverableBackupsAsync(instanceId, cancellationToken), files, keepAfter);
            foreach (var file in unneeded)
            {
                await pipeline.DeleteAsync(file.StorageKey, cancellationToken);
                await walArchive.DeleteFileAsync(instanceId, file.Name, cancellationToken);
            }

            if (gone)
                await walArchive.DeleteArchiveAsync(instanceId, cancellationToken);
            if (unneeded.Count > 0)
                LogRemoved(instanceId, unneeded.Count, gone ? "the instance is deleted" : "no backup can replay them");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} archived WAL files of instance {InstanceId}: {Why}")]
    private partial void LogRemoved(string instanceId, int count, string why);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cleaning the WAL archive failed")]
    private partial void LogFailed(Exception e);
}
