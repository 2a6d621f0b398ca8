using System.Text.Json.Nodes;
using Hoard.Core.Compute;
using Hoard.Core.Instances;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Hoard.Server.Identity;
using Hoard.Server.Trove;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Apis;

/// <summary>
/// Trove's admin host list, <c>/v1.0/{project_id}/mgmt/hosts</c>: the machines of the <c>hosts</c> compute provider
/// (empty with <c>local</c>) with Trove's fields (<c>name</c>, <c>instanceCount</c>; on show <c>totalRAM</c>,
/// <c>usedRAM</c>, <c>percentUsed</c> and the instances) and Hoard's (address, status, last report, free capacity).
/// </summary>
internal static class MgmtHostsApi
{
    public static void MapMgmtHostsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1.0/{projectId}/mgmt/hosts");
        group.MapGet("", ListAsync);
        group.MapGet("/{name}", ShowAsync);
    }

    private static async Task<IResult> ListAsync(HttpContext http, HostStore hosts, CancellationToken cancellationToken)
    {
        RequireAdmin(http);
        var items = new JsonArray();
        foreach (var host in await hosts.ListAsync(cancellationToken))
        {
            var view = Summary(host);
            view["instanceCount"] = (await hosts.InstancesOnAsync(host.Name, cancellationToken)).Count;
            items.Add(view);
        }

        return Reply.Json(new JsonObject { ["hosts"] = items });
    }

    private static async Task<IResult> ShowAsync(HttpContext http, string name, HostStore hosts, InstanceStore instances,
        IOptions<HoardOptions> options, CancellationToken cancellationToken)
    {
        RequireAdmin(http);
        var host = await hosts.GetAsync(name, cancellationToken) ?? throw TroveFault.NotFound($"Host {name} could not be found.");
        var view = Summary(host);
        var list = new JsonArray();
        foreach (var id in await hosts.InstancesOnAsync(host.Name, cancellationToken))
        {
            if (await instances.GetAsync(id, cancellationToken) is { } instance)
            {
                list.Add(new JsonObject
                {
                    ["id"] = instance.Id, ["name"] = instance.Name, ["server_id"] = instance.Id, ["tenant_id"] = instance.ProjectId,
                    ["status"] = InstanceStatusView.Status(instance.Task, instance.ServerStatus), ["ip"] = instance.Address,
                });
            }
        }

        view["instanceCount"] = list.Count;
        view["instances"] = list;
        view["totalRAM"] = host.RamMb;
        view["usedRAM"] = host.AllocatedRamMb;
        view["percentUsed"] = host.RamMb > 0 ? (int)Math.Round(100.0 * host.AllocatedRamMb / host.RamMb) : 0;
        return Reply.Json(new JsonObject { ["host"] = view });
    }

    private static JsonObject Summary(HostRecord host) => new()
    {
        ["name"] = host.Name,
        ["address"] = host.Address,
        ["status"] = host.Status,
        ["last_seen"] = host.LastSeen is { } seen ? Views.Time(seen) : null,
        ["ram_mb"] = host.RamMb,
        ["disk_gb"] = host.DiskGb,
        ["free_ram_mb"] = host.FreeRamMb,
        ["free_disk_gb"] = host.FreeDiskGb,
        ["allocated_ram_mb"] = host.AllocatedRamMb,
        ["allocated_disk_gb"] = host.AllocatedDiskGb,
    };

    private static void RequireAdmin(HttpContext http)
    {
        if (!http.Token().IsAdmin)
        {
            throw TroveFault.Unauthorized("User does not have admin privileges.");
        }
    }
}
