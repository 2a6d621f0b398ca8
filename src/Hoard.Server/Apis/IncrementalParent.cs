using Hoard.Core.Backups;
using Hoard.Core.Catalog;
using Hoard.Core.Instances;
using Hoard.Persistence;
using Hoard.Server.Trove;

namespace Hoard.Server.Apis;

/// <summary>
/// The backup a new backup builds on, as Trove chooses it: <c>parent_id</c> names it; <c>incremental: 1</c> means the
/// instance's latest COMPLETED backup, or a full backup when it has none. Checked before anything is created.
/// </summary>
internal static class IncrementalParent
{
    /// <returns>The parent, or null for a full backup.</returns>
    /// <exception cref="TroveFault">
    /// 400 when the datastore's strategy takes full backups only, or the named parent is not a COMPLETED backup of the
    /// instance, with the same strategy; 404 when the named parent is unknown or of another project.
    /// </exception>
    /// <param name="strategy">The new backup's strategy: only the version's default one takes incrementals.</param>
    public static async Task<BackupRecord?> ResolveAsync(BackupStore backups, InstanceRecord instance, DatastoreVersion version,
        string strategy, bool incremental, string? parentId, CancellationToken cancellationToken)
    {
        if (!incremental && parentId is null)
        {
            return null;
        }

        if (strategy != version.Capabilities.BackupStrategy)
        {
            throw TroveFault.BadRequest($"The 'incremental backup' operation is not supported with backup strategy '{strategy}': " +
                                        "it takes full backups only. Take a full backup.");
        }

        if (!version.Capabilities.BackupIncremental)
        {
            throw TroveFault.BadRequest($"The 'incremental backup' operation is not supported for the '{version.DatastoreName}' datastore: " +
                                        $"its backup strategy, {version.Capabilities.BackupStrategy}, takes full backups only. Take a full backup.");
        }

        if (parentId is null)
        {
            return await backups.FindLatestCompletedAsync(instance.Id, cancellationToken) is { } latest
                ? Usable(latest, instance, version, "The instance's latest completed backup")
                : null;
        }

        var parent = await backups.GetAsync(parentId, cancellationToken);
        if (parent is null || parent.ProjectId != instance.ProjectId)
        {
            throw TroveFault.NotFound($"Backup {parentId} could not be found.");
        }

        if (parent.InstanceId != instance.Id)
        {
            throw TroveFault.BadRequest($"Backup {parentId} is a backup of another instance ({parent.InstanceId ?? "none"}); an incremental " +
                                        $"backup of instance {instance.Id} can only build on a backup of that instance.");
        }

        if (parent.Status != BackupStatus.Completed)
        {
            throw TroveFault.BadRequest($"Backup {parentId} is not completed (status {parent.Status}); an incremental backup can only " +
                                        "build on a completed backup.");
        }

        return Usable(parent, instance, version, $"Backup {parentId}");
    }

    /// <summary>A backup taken another way (before a datastore upgrade, say) cannot be the base of this strategy's delta.</summary>
    private static BackupRecord Usable(BackupRecord parent, InstanceRecord instance, DatastoreVersion version, string what) =>
        parent.Strategy == version.Capabilities.BackupStrategy && parent.DatastoreVersionId == instance.DatastoreVersionId
            ? parent
            : throw TroveFault.BadRequest($"{what} was taken of {parent.DatastoreType} {parent.DatastoreVersion} with {parent.Strategy}; " +
                                          $"an incremental backup of {version.DatastoreName} {version.Name} cannot build on it. Take a full backup.");
}
