using System.Text.Json.Nodes;
using Hoard.Core.Backups;

namespace Hoard.Server.Trove;

/// <summary>Trove's backup view, field for field; Hoard adds <c>fault</c> when a backup failed, so users can see why.</summary>
internal static class BackupView
{
    private const double BytesPerGb = 1024.0 * 1024 * 1024;

    public static JsonObject Of(BackupRecord b)
    {
        var view = new JsonObject
        {
            ["id"] = b.Id,
            ["name"] = b.Name,
            ["description"] = b.Description,
            ["locationRef"] = b.Location,
            ["instance_id"] = b.InstanceId,
            ["created"] = Views.Time(b.Created),
            ["updated"] = Views.Time(b.Updated),
            // Trove's size is in GB, as a float; tiny backups must not round to zero.
            ["size"] = b.Size is { } size ? size / BytesPerGb : null,
            ["status"] = b.Status,
            ["parent_id"] = b.ParentId,
            ["project_id"] = b.ProjectId,
            ["datastore"] = new JsonObject
            {
                ["type"] = b.DatastoreType, ["version"] = b.DatastoreVersion, ["version_id"] = b.DatastoreVersionId,
            },
            ["storage_driver"] = b.StorageDriver,
            // Hoard's: which tool made it (the version's default or the one chosen at create), and so restores it.
            ["strategy"] = b.Strategy,
        };
        if (b.Fault is { } fault && b.Status is BackupStatus.Failed or BackupStatus.DeleteFailed)
        {
            view["fault"] = new JsonObject { ["message"] = fault, ["created"] = Views.Time(b.Updated) };
        }

        return view;
    }
}
