using System.Text.Json;
using System.Text.Json.Nodes;
using Hoard.Core.Backups;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Hoard.Server.Identity;
using Hoard.Server.TaskManager;
using Hoard.Server.TaskManager.Workflows;
using Hoard.Server.Trove;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Apis;

/// <summary>
/// Trove's <c>/v1.0/{project_id}/backups</c> and <c>/instances/{id}/backups</c>. Full and incremental backups
/// (<see cref="IncrementalParent"/>) to the configured storage, in a container of the user's choice where it has them
/// (<see cref="BackupStrategiesApi"/>); remote registration (<c>restore_from</c>) is refused with 501.
/// </summary>
internal static partial class BackupsApi
{
    public static void MapBackupsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1.0/{projectId}");
        group.MapGet("/backups", ListAsync);
        group.MapPost("/backups", CreateAsync);
        group.MapGet("/backups/{id}", ShowAsync);
        group.MapDelete("/backups/{id}", DeleteAsync);
        group.MapGet("/instances/{id}/backups", ListOfInstanceAsync);
    }

    internal static async Task<IResult> CreateAsync(HttpContext http, InstanceAccess access, BackupPipeline pipeline, BackupStarter starter,
        CancellationToken cancellationToken)
    {
        Policy.RequireWriter(http);
        var spec = Body.Wrapper(await Body.ReadAsync(http.Request, cancellationToken), "backup");
        const string path = "backup";
        var name = Body.NonEmptyName(spec, "name", path);
        if (spec["restore_from"] is not null)
        {
            throw TroveFault.NotImplemented("Registering a backup from a remote location (restore_from) is not supported by this Hoard release yet.");
        }

        var description = Body.String(spec, "description", path);
        var incremental = BooleanString(spec, "incremental", path);
        var parentId = Body.String(spec, "parent_id", path) is { } parent ? Uuid(parent, "parent_id", path) : null;
        var instanceId = Uuid(Body.Reference(spec, "instance", path, required: true)!, "instance", path);
        var container = Body.String(spec, "swift_container", path) is { } named
            ? BackupStrategiesApi.Container(named, pipeline, $"{path}.swift_container")
            : null;

        if (Body.String(spec, "storage_driver", path) is { } driver && driver != pipeline.StorageDriver)
        {
            throw TroveFault.NotImplemented($"Storage driver '{driver}' is not available; this server stores backups in '{pipeline.StorageDriver}'.");
        }

        var strategy = Body.String(spec, "strategy", path);
        var instance = await access.GetAsync(http, instanceId, cancellationToken);
        var backup = await starter.StartAsync(instance, new BackupRequest(name, description, incremental, parentId, Strategy: strategy,
            Container: container), cancellationToken);
        return Reply.Json(new JsonObject { ["backup"] = BackupView.Of(backup) }, 202);
    }

    internal static async Task<IResult> ListAsync(HttpContext http, BackupStore backups, CatalogStore catalog, CancellationToken cancellationToken)
    {
        var token = http.Token();
        var query = http.Request.Query;
        // troveclient sends Python's "True".
        var allProjects = query.TryGetValue("all_projects", out var all) && (all == "1" || (bool.TryParse(all, out var a) && a));
        var projectFilter = query.TryGetValue("project_id", out var p) && p.ToString() is { Length: > 0 } pid ? pid : null;
        if ((allProjects || (projectFilter is not null && projectFilter != token.ProjectId)) && !token.IsAdmin)
        {
            throw TroveFault.Forbidden("Policy doesn't allow backup:index:all_projects to be performed.");
        }

        var project = projectFilter ?? (allProjects ? null : token.ProjectId);
        var instanceId = query.TryGetValue("instance_id", out var i) && i.ToString() is { Length: > 0 } iid ? iid : null;
        string? datastoreType = null;
        if (query.TryGetValue("datastore", out var d) && d.ToString() is { Length: > 0 } ds)
        {
            datastoreType = (await catalog.ListDatastoresAsync(cancellationToken)).FirstOrDefault(x => x.Id == ds || x.Name == ds)?.Name
                            ?? throw TroveFault.NotFound($"Datastore '{ds}' cannot be found.");
        }

        return await PageAsync(http, backups, project, instanceId, datastoreType, cancellationToken);
    }

    private static async Task<IResult> ListOfInstanceAsync(HttpContext http, string id, InstanceAccess access, BackupStore backups,
        CancellationToken cancellationToken)
    {
        var instance = await access.GetAsync(http, id, cancellationToken);
        return await PageAsync(http, backups, instance.ProjectId, instance.Id, null, cancellationToken);
    }

    private static async Task<IResult> PageAsync(HttpContext http, BackupStore backups, string? projectId, string? instanceId,
        string? datastoreType, CancellationToken cancellationToken)
    {
        var (limit, marker) = Views.Page(http.Request);
        var page = await backups.ListAsync(projectId, instanceId, datastoreType, limit, marker, cancellationToken);
        var body = new JsonObject { ["backups"] = new JsonArray([.. page.Select(b => (JsonNode)BackupView.Of(b))]) };
        Views.AddNextLink(body, http.Request, limit, page.Count, page.LastOrDefault()?.Id);
        return Reply.Json(body);
    }

    private static async Task<IResult> ShowAsync(HttpContext http, string id, BackupStore backups, CancellationToken cancellationToken) =>
        Reply.Json(new JsonObject { ["backup"] = BackupView.Of(await GetAsync(http, backups, id, cancellationToken)) });

    /// <summary>
    /// Deletes a backup and, first, every backup built on it. Refused (422) while any of them runs or a build restores it.
    /// The data is removed before the row; when storage refuses, the backup stays as DELETE_FAILED and may be deleted again.
    /// </summary>
    internal static async Task<IResult> DeleteAsync(HttpContext http, string id, BackupStore backups, BackupDeleter deleter,
        CancellationToken cancellationToken)
    {
        Policy.RequireWriter(http);
        await deleter.DeleteAsync(await GetAsync(http, backups, id, cancellationToken), cancellationToken);
        return Reply.Accepted();
    }

    /// <summary>A backup of the caller's project (an admin's: of any project), else 404.</summary>
    private static async Task<BackupRecord> GetAsync(HttpContext http, BackupStore backups, string id, CancellationToken cancellationToken)
    {
        var token = http.Token();
        var backup = await backups.GetAsync(id, cancellationToken);
        return backup is not null && (backup.ProjectId == token.ProjectId || token.IsAdmin)
            ? backup
            : throw TroveFault.NotFound($"Backup {id} could not be found.");
    }

    /// <summary>Trove's <c>boolean_string</c>: the integer 0 or 1.</summary>
    private static bool BooleanString(JsonObject parent, string key, string path) => parent[key] switch
    {
        null => false,
        var n when n.GetValueKind() == JsonValueKind.Number && n.AsValue().TryGetValue<int>(out var v) && v is 0 or 1 => v == 1,
        _ => throw TroveFault.Validation($"{path}.{key} must be 0 or 1."),
    };

    private static string Uuid(string value, string key, string path) =>
        Guid.TryParseExact(value, "D", out _) ? value : throw TroveFault.Validation($"{path}.{key} '{value}' is not a valid UUID.");
}
