using System.Text.Json.Nodes;
using Hoard.Core.Backups;
using Hoard.Core.Catalog;
using Hoard.Persistence;
using Hoard.Server.Identity;
using Hoard.Server.Trove;

namespace Hoard.Server.Apis;

/// <summary>
/// An instance create's <c>restorePoint: {backupRef}</c>, checked as Trove checks it before anything is made: the backup
/// is the caller's (404), COMPLETED (409), of the instance's datastore (400), and fits the volume (403, Trove's
/// BackupTooLarge).
/// </summary>
internal static class RestorePoint
{
    private const double BytesPerGb = 1024.0 * 1024 * 1024;

    /// <summary>The backups to restore, oldest first: a full backup, then the incrementals up to the one asked for.</summary>
    public static async Task<IReadOnlyList<BackupRecord>?> ParseAsync(HttpContext http, JsonObject spec, string path, BackupStore backups,
        CancellationToken cancellationToken)
    {
        if (Body.Object(spec, "restorePoint", path) is not { } restore)
        {
            return null;
        }

        var id = Body.Reference(restore, "backupRef", path + ".restorePoint", required: true)!;
        if (!Guid.TryParseExact(id, "D", out _))
        {
            throw TroveFault.Validation($"{path}.restorePoint.backupRef '{id}' is not a valid UUID.");
        }

        var backup = await backups.GetAsync(id, cancellationToken);
        if (backup is null || backup.ProjectId != http.Token().ProjectId)
        {
            throw TroveFault.NotFound($"Backup {id} could not be found.");
        }

        var layers = new List<BackupRecord>();
        var layer = backup;
        while (true)
        {
            if (layer.Status != BackupStatus.Completed)
            {
                throw TroveFault.Conflict(layer == backup
                    ? $"Unable to create instance because backup {id} is not completed. Actual state: {layer.Status}."
                    : $"Unable to create instance because backup {layer.Id}, which backup {id} builds on, is not completed. Actual state: {layer.Status}.");
            }

            layers.Insert(0, layer);
            if (layer.ParentId is not { } parentId)
            {
                return layers;
            }

            layer = await backups.GetAsync(parentId, cancellationToken)
                    ?? throw TroveFault.Conflict($"Unable to create instance because backup {parentId}, which backup {id} builds on, was deleted.");
        }
    }

    /// <summary>
    /// The datastore version to restore into: the one the body names, else the backup's own while it is active, else its
    /// datastore's default. (Trove would use the default datastore, and refuse a backup of any other.)
    /// </summary>
    public static async Task<DatastoreVersion> VersionAsync(CatalogStore catalog, JsonObject? datastore, string path, BackupRecord backup,
        CancellationToken cancellationToken)
    {
        if (datastore is null)
        {
            if (await catalog.GetVersionAsync(backup.DatastoreVersionId, cancellationToken) is { Active: true } own)
            {
                return own;
            }

            datastore = new JsonObject { ["type"] = backup.DatastoreType };
        }

        var version = await CatalogApi.ResolveVersionAsync(catalog, datastore, path, cancellationToken);
        return version.DatastoreName == backup.DatastoreType
            ? version
            : throw TroveFault.BadRequest($"The datastore from which the backup was taken, {backup.DatastoreType}, does not match " +
                                          $"the destination datastore of {version.DatastoreName}.");
    }

    /// <summary>What the datastore's tool wrote must fit the new volume; less than that cannot possibly hold the restored data.</summary>
    public static void CheckFits(IReadOnlyList<BackupRecord> layers, int volumeSizeGb)
    {
        var needed = layers.Max(l => l.ToolBytes ?? 0);
        if (needed > volumeSizeGb * BytesPerGb)
        {
            throw TroveFault.Forbidden($"Backup is too large for given flavor or volume. Backup size: {needed / BytesPerGb:0.##} GBs. " +
                                       $"Available size: {volumeSizeGb} GBs. Ask for a volume of at least {Math.Ceiling(needed / BytesPerGb)} GB.");
        }
    }
}
