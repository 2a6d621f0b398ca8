using System.Globalization;
using System.Text.Json.Nodes;
using Hoard.Core.Backups;
using Hoard.Core.PointInTime;
using Hoard.Persistence;
using Hoard.Server.Identity;
using Hoard.Server.TaskManager;
using Hoard.Server.Trove;

namespace Hoard.Server.Apis;

/// <summary>
/// An instance create's <c>restorePoint: {"instance": &lt;source id&gt;, "restore_time": "2026-11-30T23:10:05Z",
/// "backupRef"?: &lt;full backup&gt;}</c> (Hoard's extension; Trove has no point-in-time recovery): the source is the
/// caller's (404), its datastore archives its WAL (501), and the time lies in its recovery window (400, naming the window).
/// The newest full backup that reaches the time is restored, unless <c>backupRef</c> names one.
/// </summary>
internal static class PointInTimeRestore
{
    /// <summary>Null when the create has no <c>restore_time</c> (a plain restore, or none).</summary>
    public static async Task<PointInTimeTarget?> ParseAsync(HttpContext http, JsonObject spec, string path, InstanceStore instances,
        CatalogStore catalog, BackupStore backups, RecoveryWindows windows, CancellationToken cancellationToken)
    {
        if (Body.Object(spec, "restorePoint", path) is not { } restore || restore["restore_time"] is null)
        {
            if (spec["restorePoint"]?["instance"] is not null)
            {
                throw TroveFault.Validation($"{path}.restorePoint.instance is only used with restore_time.");
            }

            return null;
        }

        path += ".restorePoint";
        var text = Body.String(restore, "restore_time", path, required: true)!;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var target))
        {
            throw TroveFault.Validation($"{path}.restore_time '{text}' is not a time; write it as 2026-11-30T23:10:05Z.");
        }

        target = target.ToUniversalTime();
        var sourceId = Body.Reference(restore, "instance", path, required: true)!;
        var source = await instances.GetAsync(sourceId, cancellationToken);
        if (source is null || source.ProjectId != http.Token().ProjectId)
        {
            throw TroveFault.NotFound($"Instance {sourceId} could not be found.");
        }

        var version = await catalog.GetVersionAsync(source.DatastoreVersionId, cancellationToken);
        if (version is not { Capabilities.PointInTimeRecovery: true })
        {
            throw TroveFault.NotImplemented($"Point-in-time recovery is not supported for datastore {version?.DatastoreName} {version?.Name}.");
        }

        var backupId = Body.Reference(restore, "backupRef", path);
        if (backupId is not null && (await backups.GetAsync(backupId, cancellationToken))?.InstanceId != source.Id)
        {
            throw TroveFault.NotFound($"Backup {backupId} of instance {source.Id} could not be found.");
        }

        var window = await windows.ComputeAsync(source.Id, cancellationToken);
        var plan = window.Plan(target, backupId) ?? throw OutsideWindow(window, target, source.Id, backupId);
        var backup = await backups.GetAsync(plan.BackupId, cancellationToken)
                     ?? throw TroveFault.Conflict($"Backup {plan.BackupId} was deleted meanwhile; try again.");
        return new PointInTimeTarget(source.Id, target, [backup]);
    }

    private static TroveFault OutsideWindow(RecoveryWindow window, DateTimeOffset target, string instanceId, string? backupId)
    {
        var asked = RecoveryWindowApi.Seconds(target);
        var stretches = window.Intervals
            .Select(i => $"{RecoveryWindowApi.Seconds(i.From.AddTicks(TimeSpan.TicksPerSecond - 1))} to {RecoveryWindowApi.Seconds(i.To)}")
            .ToList();
        if (stretches.Count == 0)
        {
            return TroveFault.BadRequest(
                $"restore_time {asked} is outside the recoverable window of instance {instanceId}: it has none yet. Point-in-time " +
                "recovery needs a completed full backup of the instance and the log (WAL or binary log) archived since (at most archive_timeout, 60 s, later).");
        }

        var which = backupId is null ? "" : $" (from backup {backupId}, which may reach less of it)";
        return TroveFault.BadRequest(
            $"restore_time {asked} is outside the recoverable window of instance {instanceId}{which}: {string.Join(", ", stretches)}.");
    }
}
