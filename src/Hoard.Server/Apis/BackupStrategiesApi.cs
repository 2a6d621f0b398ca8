using System.Text.Json.Nodes;
using Hoard.Core.Backups;
using Hoard.Persistence;
using Hoard.Server.Identity;
using Hoard.Server.Trove;

namespace Hoard.Server.Apis;

/// <summary>
/// Trove's <c>/v1.0/{project_id}/backup_strategies</c>: the Swift container a project's backups go to, or one instance's.
/// Only storage with containers (Swift) has strategies to set; elsewhere the list is empty and setting one is refused (501).
/// </summary>
internal static class BackupStrategiesApi
{
    private const string Backend = "swift";

    public static void MapBackupStrategiesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1.0/{projectId}");
        group.MapGet("/backup_strategies", ListAsync);
        group.MapPost("/backup_strategies", PutAsync);
        group.MapDelete("/backup_strategies", DeleteAsync);
    }

    private static async Task<IResult> ListAsync(HttpContext http, BackupStrategyStore strategies, CancellationToken cancellationToken)
    {
        var (project, instanceId) = Filters(http);
        var list = await strategies.ListAsync(project, instanceId, cancellationToken);
        return Reply.Json(new JsonObject { ["backup_strategies"] = new JsonArray([.. list.Select(s => (JsonNode)View(s))]) });
    }

    /// <summary>Creates the strategy of the caller's project, or of one of its instances, or changes its container.</summary>
    private static async Task<IResult> PutAsync(HttpContext http, InstanceAccess access, BackupStrategyStore strategies,
        BackupPipeline pipeline, CancellationToken cancellationToken)
    {
        Policy.RequireWriter(http);
        const string path = "backup_strategy";
        var spec = Body.Wrapper(await Body.ReadAsync(http.Request, cancellationToken), path);
        Body.OnlyKeys(spec, path, "swift_container", "instance_id");
        var container = Container(Body.String(spec, "swift_container", path, required: true)!, pipeline, $"{path}.swift_container");
        var instanceId = "";
        if (Body.String(spec, "instance_id", path) is { } id)
        {
            instanceId = (await access.GetAsync(http, id, cancellationToken)).Id;
        }

        var strategy = await strategies.PutAsync(http.Token().ProjectId, instanceId, Backend, container, cancellationToken);
        return Reply.Json(new JsonObject { ["backup_strategy"] = View(strategy) }, 202);
    }

    private static async Task<IResult> DeleteAsync(HttpContext http, BackupStrategyStore strategies, CancellationToken cancellationToken)
    {
        Policy.RequireWriter(http);
        var (project, instanceId) = Filters(http);
        await strategies.DeleteAsync(project ?? http.Token().ProjectId, instanceId ?? "", cancellationToken);
        return Reply.Accepted();
    }

    /// <summary>
    /// A container a backup or strategy may name: valid, and only where the storage has containers.
    /// </summary>
    /// <exception cref="TroveFault">501 when the storage has no containers, 400 for a bad name.</exception>
    public static string Container(string name, BackupPipeline pipeline, string field)
    {
        if (pipeline.DefaultContainer is null)
        {
            throw TroveFault.NotImplemented($"{field}: containers apply to Swift backup storage; this server stores backups in " +
                                            $"'{pipeline.StorageDriver}' storage.");
        }

        return BackupKeys.IsContainerName(name)
            ? name
            : throw TroveFault.Validation($"{field} '{name}' is not a valid container name: use 1–200 letters, digits, '.', '_' or '-', " +
                                          "starting with a letter or digit.");
    }

    /// <summary>The <c>project_id</c> (another project's: admins only) and <c>instance_id</c> query filters.</summary>
    private static (string? Project, string? InstanceId) Filters(HttpContext http)
    {
        var token = http.Token();
        var query = http.Request.Query;
        var project = query.TryGetValue("project_id", out var p) && p.ToString() is { Length: > 0 } pid ? pid : token.ProjectId;
        if (project != token.ProjectId && !token.IsAdmin)
        {
            throw TroveFault.Forbidden("Policy doesn't allow backup_strategy:index:all_projects to be performed.");
        }

        var instanceId = query.TryGetValue("instance_id", out var i) && i.ToString() is { Length: > 0 } iid ? iid : null;
        return (project, instanceId);
    }

    private static JsonObject View(BackupStrategy s) => new()
    {
        ["project_id"] = s.ProjectId,
        ["instance_id"] = s.InstanceId,
        ["backend"] = s.Backend,
        ["swift_container"] = s.SwiftContainer,
    };
}
