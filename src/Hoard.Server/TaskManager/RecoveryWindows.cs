using Hoard.Core.PointInTime;
using Hoard.Persistence;

namespace Hoard.Server.TaskManager;

/// <summary>An instance's recovery window, from its backups and its archived WAL as the state DB holds them now.</summary>
internal sealed class RecoveryWindows(BackupStore backups, WalArchiveStore walArchive)
{
    /// <summary>More full backups than this per instance would be unusual; older ones beyond it are not considered.</summary>
    private const int MaxBackups = 1000;

    public async Task<RecoveryWindow> ComputeAsync(string instanceId, CancellationToken cancellationToken)
    {
        var recoverable = await RecoverableBackupsAsync(instanceId, cancellationToken);
        return RecoveryWindow.Compute(recoverable, await walArchive.ListAsync(instanceId, cancellationToken));
    }

    public async Task<IReadOnlyList<RecoverableBackup>> RecoverableBackupsAsync(string instanceId, CancellationToken cancellationToken) =>
        [.. (await backups.ListAsync(null, instanceId, null, MaxBackups, null, cancellationToken))
            .Select(RecoverableBackup.From).OfType<RecoverableBackup>()];
}
