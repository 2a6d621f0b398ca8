using Hoard.Core.Backups;
using Hoard.Persistence;
using Hoard.Server.Trove;

namespace Hoard.Server.TaskManager;

/// <summary>
/// Applies a schedule's retention to its instance's scheduled backups (<see cref="BackupRetention"/>), deleting them
/// through the same path as <c>DELETE /backups/{id}</c>, so their stored data goes too.
/// </summary>
internal sealed partial class ScheduledBackupPruner(
    BackupScheduleStore schedules,
    BackupStore backups,
    BackupDeleter deleter,
    TimeProvider time,
    ILogger<ScheduledBackupPruner> logger)
{
    /// <returns>The ids deleted.</returns>
    public async Task<IReadOnlyList<string>> PruneAsync(string instanceId, CancellationToken cancellationToken)
    {
        var deleted = new List<string>();
        if (await schedules.GetAsync(instanceId, cancellationToken) is not { } schedule)
        {
            return deleted;
        }

        var expired = BackupRetention.Select(await schedules.ListRetentionCandidatesAsync(instanceId, cancellationToken), schedule.Retention,
            time.GetUtcNow());
        var expiredIds = expired.Select(e => e.Id).ToHashSet();
        foreach (var (id, reason) in expired)
        {
            if (await backups.GetAsync(id, cancellationToken) is not { } backup)
            {
                continue; // went with a backup it was built on
            }

            // Deleting a backup deletes what was built on it; never anything retention keeps (made meanwhile, say).
            if ((await backups.ListDescendantsAsync(id, cancellationToken)).FirstOrDefault(d => !expiredIds.Contains(d.Id)) is { } kept)
            {
                LogKept(id, instanceId, kept.Id);
                continue;
            }

            try
            {
                if (await deleter.DeleteAsync(backup, cancellationToken))
                {
                    deleted.Add(id);
                    LogPruned(id, instanceId, reason);
                }
            }
            catch (TroveFault refused)
            {
                LogNotPruned(id, instanceId, refused.Message);
            }
        }

        await schedules.TidyAsync(instanceId, cancellationToken);
        return deleted;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted scheduled backup {BackupId} of instance {InstanceId}: {Reason}")]
    private partial void LogPruned(string backupId, string instanceId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Kept expired backup {BackupId} of instance {InstanceId}: backup {KeptId} builds on it and is kept")]
    private partial void LogKept(string backupId, string instanceId, string keptId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete expired backup {BackupId} of instance {InstanceId} yet: {Reason}")]
    private partial void LogNotPruned(string backupId, string instanceId, string reason);
}
