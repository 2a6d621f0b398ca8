using System.Text.Json.Nodes;
using Hoard.Contracts.Guest;
using Hoard.Core.Catalog;
using Hoard.Core.Compute;
using Hoard.Core.Instances;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Hoard.Server.Identity;
using Hoard.Server.Trove;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Apis;

/// <summary>
/// Trove's admin view of instances, <c>/v1.0/{project_id}/mgmt/instances</c>: every project's instances (deleted ones on
/// request) with what an operator needs — the task's description, the guest's report, where it runs, its volume.
/// </summary>
internal static class MgmtApi
{
    public static void MapMgmtApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1.0/{projectId}/mgmt/instances");
        group.MapGet("", ListAsync);
        group.MapGet("/{id}", ShowAsync);
    }

    private static async Task<IResult> ListAsync(HttpContext http, InstanceStore instances, CatalogStore catalog,
        IOptions<HoardOptions> options, CancellationToken cancellationToken)
    {
        RequireAdmin(http);
        var deleted = Flag(http.Request, "deleted");
        Flag(http.Request, "include_clustered"); // Hoard has no clusters: every instance is listed either way.
        var projectId = http.Request.Query.TryGetValue("project_id", out var p) && !string.IsNullOrEmpty(p) ? p.ToString() : null;
        var (limit, marker) = Views.Page(http.Request);
        var page = await instances.ListAnyProjectAsync(projectId, deleted, limit, marker, cancellationToken);
        var versions = (await catalog.ListVersionsAsync(cancellationToken)).ToDictionary(v => v.Id);
        var items = new JsonArray();
        foreach (var instance in page)
        {
            items.Add(InstanceView(instance, versions.GetValueOrDefault(instance.DatastoreVersionId), null, options.Value));
        }

        var body = new JsonObject { ["instances"] = items };
        Views.AddNextLink(body, http.Request, limit, page.Count, page.LastOrDefault()?.Id);
        return Reply.Json(body);
    }

    private static async Task<IResult> ShowAsync(HttpContext http, string id, InstanceStore instances, CatalogStore catalog,
        ConfigurationStore configurations, IVolumeProvider volumes, IOptions<HoardOptions> options, CancellationToken cancellationToken)
    {
        RequireAdmin(http);
        var instance = await instances.GetAnyProjectAsync(id, Flag(http.Request, "deleted"), cancellationToken)
                       ?? throw TroveFault.NotFound($"Instance {id} could not be found.");
        var version = await catalog.GetVersionAsync(instance.DatastoreVersionId, cancellationToken);
        var fault = await instances.GetLatestFaultAsync(instance.Id, cancellationToken);
        var view = InstanceView(instance, version, fault, options.Value);
        if (instance.ConfigurationId is { } configurationId)
        {
            view["configuration"] = new JsonObject
            {
                ["id"] = configurationId,
                ["name"] = (await configurations.GetAsync(configurationId, null, cancellationToken))?.Name,
                ["links"] = Views.Links(options.Value.BaseUrl, instance.ProjectId, "configurations", configurationId),
            };
        }

        if (view["server"] is JsonObject server)
        {
            server["addresses"] = instance.Address is { } address
                ? new JsonObject { ["private"] = new JsonArray(new JsonObject { ["addr"] = address, ["version"] = 4 }) }
                : new JsonObject();
        }

        var used = instance.Deleted ? null : await volumes.GetUsedBytesAsync(instance.Id, cancellationToken);
        view["volume"] = VolumeView(instance, used);
        view["guest_status"] = new JsonObject { ["state_description"] = StateDescription(instance.ServiceStatus) };
        return Reply.Json(new JsonObject { ["instance"] = view });
    }

    private static void RequireAdmin(HttpContext http)
    {
        if (!http.Token().IsAdmin)
        {
            throw TroveFault.Unauthorized("User does not have admin privileges.");
        }
    }

    /// <summary>A boolean query parameter as troveclient sends it (<c>deleted=False</c>); absent is false.</summary>
    private static bool Flag(HttpRequest request, string name)
    {
        if (!request.Query.TryGetValue(name, out var raw) || string.IsNullOrEmpty(raw))
        {
            return false;
        }

        return raw.ToString().ToLowerInvariant() switch
        {
            "true" or "1" or "yes" or "on" => true,
            "false" or "0" or "no" or "off" => false,
            _ => throw TroveFault.BadRequest($"'{name}' must be true or false, not '{raw}'."),
        };
    }

    /// <summary>Trove's MgmtInstanceView: the detail view plus the server, the tenant, the task's description and deletion.</summary>
    private static JsonObject InstanceView(InstanceRecord instance, DatastoreVersion? version, InstanceFault? fault, HoardOptions options)
    {
        var view = Views.InstanceDetail(instance, version, fault, null, options.BaseUrl, options.Region);
        // A deleted instance has no server any more, as Nova forgets a deleted server.
        view["server"] = instance.Deleted
            ? null
            : new JsonObject
            {
                ["id"] = instance.Id,
                ["name"] = instance.Name,
                ["status"] = instance.ServerStatus.ToString().ToUpperInvariant(),
                ["tenant_id"] = instance.ProjectId,
                ["host"] = instance.Host ?? Environment.MachineName,
            };
        view["server_id"] = instance.Id;
        view["volume_id"] = instance.Id;
        view["tenant_id"] = instance.ProjectId;
        view["service_status"] = InstanceStatusView.ServiceApiName(instance.ServiceStatus);
        view["deleted"] = instance.Deleted;
        view["deleted_at"] = instance.DeletedAt is { } at ? Views.Time(at) : null;
        view["task_description"] = TaskDescription(instance.Task);
        return view;
    }

    /// <summary>The volume as Trove's admin sees it; local volumes are named after their instance.</summary>
    private static JsonObject? VolumeView(InstanceRecord instance, long? usedBytes)
    {
        if (instance.Deleted)
        {
            return null;
        }

        return new JsonObject
        {
            ["id"] = instance.Id,
            ["size"] = instance.VolumeSize,
            ["total"] = instance.VolumeSize,
            ["used"] = usedBytes is { } used ? Math.Round(used / (1024.0 * 1024 * 1024), 2) : null,
            ["status"] = usedBytes is not null ? "in-use" : instance.Task switch
            {
                InstanceTask.Building => "creating",
                InstanceTask.Deleting => "deleting",
                _ => "error",
            },
            ["attachments"] = usedBytes is not null ? new JsonArray(new JsonObject { ["server_id"] = instance.Id }) : new JsonArray(),
        };
    }

    /// <summary>Trove's InstanceTasks descriptions; Hoard's own error tasks in the same style.</summary>
    internal static string TaskDescription(InstanceTask task) => task switch
    {
        InstanceTask.None => "No tasks for the instance.",
        InstanceTask.Building => "The instance is building.",
        InstanceTask.Deleting => "Deleting the instance.",
        InstanceTask.Rebooting => "Rebooting the instance.",
        InstanceTask.Resizing => "Resizing the instance.",
        InstanceTask.RestartRequired => "Instance requires a restart.",
        InstanceTask.Updating => "Updating the instance.",
        InstanceTask.BackingUp => "Backing up the instance.",
        InstanceTask.BuildingError => "Build error: Server.",
        InstanceTask.BuildingErrorTimeout => "Build error: guestagent timeout.",
        InstanceTask.RebootingError => "Reboot error.",
        InstanceTask.DeletingError => "Delete error.",
        _ => task.ToString(),
    };

    /// <summary>Trove's ServiceStatuses descriptions, the guest's state in words.</summary>
    internal static string StateDescription(ServiceStatus status) => status switch
    {
        ServiceStatus.New => "new",
        ServiceStatus.Building => "building",
        ServiceStatus.Running => "running",
        ServiceStatus.Healthy => "healthy",
        ServiceStatus.Blocked => "blocked",
        ServiceStatus.Shutdown => "shutdown",
        ServiceStatus.Crashed => "crashed",
        ServiceStatus.Restarting => "restarting",
        ServiceStatus.Failed => "failed to spawn",
        ServiceStatus.FailedTimeoutGuestAgent => "guestagent error",
        ServiceStatus.Deleted => "deleted",
        _ => "unknown",
    };
}
