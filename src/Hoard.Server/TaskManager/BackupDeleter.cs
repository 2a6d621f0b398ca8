using Hoard.Core.Backups;
using Hoard.Persistence;
using Hoard.Server.Trove;

namespace Hoard.Server.TaskManager;

/// <summary>Deletes a backup with its data: the one path of <c>DELETE /backups/{id}</c> and of retention.</summary>
internal sealed partial class BackupDeleter(BackupStore backups, BackupPipeline pipeline, ILogger<BackupDeleter> logger)
{
    /// <summary>
    /// Deletes a backup and, first, every backup built on it. Refused (422) while any of them runs or a build restores it.
    /// The data is removed before the row; when storage refuses, the backup stays as DELETE_FAILED and may be deleted again.
    /// </summary>
    /// <returns>False when storage refused (the backup is then DELETE_FAILED, with a fault).</returns>
    /// <exception cref="TroveFault">422 while the backup, or one built on it, runs or is being restored.</exception>
    /// <param name="builtInstanceId">An instance whose build restored the backup and no longer needs it (a replica's snapshot).</param>
    public async Task<bool> DeleteAsync(BackupRecord backup, CancellationToken cancellationToken, string? builtInstanceId = null)
    {
        var chain = (await backups.ListDescendantsAsync(backup.Id, cancellationToken)).Append(backup).ToList();
        foreach (var b in chain)
        {
            if (BackupStatus.IsRunning(b.Status))
            {
                throw TroveFault.Unprocessable(b.Id == backup.Id
                    ? $"Backup {b.Id} is still running (status {b.Status}); it can be deleted once it has completed or failed."
                    : $"Backup {b.Id}, built on backup {backup.Id}, is still running (status {b.Status}); delete once it has ended.");
            }

            if (await backups.FindRestoringInstanceAsync(b.Id, cancellationToken, builtInstanceId) is { } restoring)
            {
                throw TroveFault.Unprocessable($"Backup {b.Id} is being restored into instance {restoring}; delete it once that instance is built.");
            }
        }

        foreach (var b in chain)
        {
            try
            {
                await pipeline.DeleteAsync(b, cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                LogDeleteFailed(e, b.Id);
                await backups.TrySetDeleteFailedAsync(b.Id, $"Deleting the stored data failed: {e.Message}", cancellationToken);
                return false;
            }

            await backups.TryMarkDeletedAsync(b.Id, cancellationToken);
        }

        return true;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Deleting the stored data of backup {BackupId} failed; it is DELETE_FAILED")]
    private partial void LogDeleteFailed(Exception e, string backupId);
}
