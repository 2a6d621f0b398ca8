using System.Text.Json.Nodes;
using Hoard.Persistence;
using Hoard.Server.Trove;

namespace Hoard.Server.Apis;

/// <summary>
/// Hoard's <c>/v1.0/{project_id}/instances/{id}/backup_schedule</c> (Trove has no scheduler since its Mistral-based
/// <c>schedule-create</c> went): show, set (PUT replaces it whole) and remove an instance's backup schedule and retention.
/// Members and admins set; readers see.
/// </summary>
internal static class BackupScheduleApi
{
    public static void MapBackupScheduleApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1.0/{projectId}/instances/{id}/backup_schedule");
        group.MapGet("", ShowAsync);
        group.MapPut("", PutAsync);
        group.MapDelete("", DeleteAsync);
    }

    internal static async Task<IResult> ShowAsync(HttpContext http, string id, InstanceAccess access, BackupScheduleStore schedules,
        CancellationToken cancellationToken)
    {
        var instance = await access.GetAsync(http, id, cancellationToken);
        var schedule = await schedules.GetAsync(instance.Id, cancellationToken) ?? throw NoSchedule(instance.Id);
        var last = await schedules.GetLatestRunAsync(instance.Id, cancellationToken);
        return Reply.Json(new JsonObject { ["backup_schedule"] = BackupScheduleView.Of(schedule, last) });
    }

    /// <summary>
    /// Sets the schedule. The next run stays where it was when only the window, retention or flags changed; otherwise it is
    /// the schedule's first time after now.
    /// </summary>
    internal static async Task<IResult> PutAsync(HttpContext http, string id, InstanceAccess access, CatalogStore catalog,
        BackupScheduleStore schedules, TimeProvider time, CancellationToken cancellationToken)
    {
        Policy.RequireWriter(http);
        var body = await Body.ReadAsync(http.Request, cancellationToken);
        var instance = await access.GetAsync(http, id, cancellationToken);
        var schedule = BackupScheduleBody.Parse(body, instance.Id, instance.ProjectId);
        var version = await catalog.GetVersionAsync(instance.DatastoreVersionId, cancellationToken)
                      ?? throw TroveFault.NotFound($"Datastore version {instance.DatastoreVersionId} cannot be found.");
        if (version.Capabilities.BackupStrategy is null)
        {
            throw TroveFault.NotImplemented($"Backups are not supported for datastore {version.DatastoreName} {version.Name}.");
        }

        if (schedule.Incremental && !version.Capabilities.BackupIncremental)
        {
            throw TroveFault.Validation($"backup_schedule.incremental: the {version.DatastoreName} datastore's backup strategy, " +
                                        $"{version.Capabilities.BackupStrategy}, takes full backups only.");
        }

        var now = time.GetUtcNow();
        var existing = await schedules.GetAsync(instance.Id, cancellationToken);
        schedule.Created = existing?.Created ?? now;
        schedule.Updated = now;
        schedule.NextRun = existing is { Enabled: true } && schedule.Enabled && existing.SameTimingAs(schedule) && existing.NextRun > now
            ? existing.NextRun
            : schedule.FirstRun(now);
        await schedules.PutAsync(schedule, cancellationToken);
        var last = await schedules.GetLatestRunAsync(instance.Id, cancellationToken);
        return Reply.Json(new JsonObject { ["backup_schedule"] = BackupScheduleView.Of(schedule, last) });
    }

    /// <summary>No more runs and no more pruning; the backups it made stay.</summary>
    internal static async Task<IResult> DeleteAsync(HttpContext http, string id, InstanceAccess access, BackupScheduleStore schedules,
        CancellationToken cancellationToken)
    {
        Policy.RequireWriter(http);
        var instance = await access.GetAsync(http, id, cancellationToken);
        return await schedules.DeleteAsync(instance.Id, cancellationToken) ? Reply.Accepted() : throw NoSchedule(instance.Id);
    }

    private static TroveFault NoSchedule(string instanceId) => TroveFault.NotFound($"Instance {instanceId} has no backup schedule.");
}
