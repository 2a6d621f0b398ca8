using System.Globalization;
using System.Text.Json.Nodes;
using Hoard.Core.Catalog;
using Hoard.Core.Compute;
using Hoard.Core.Instances;

namespace Hoard.Server.Trove;

/// <summary>Trove's views of Hoard's records, field for field.</summary>
internal static class Views
{
    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture);

    public static JsonArray Links(string baseUrl, string projectId, string collection, string id) =>
    [
        new JsonObject { ["href"] = $"{baseUrl}/v1.0/{projectId}/{collection}/{id}", ["rel"] = "self" },
        new JsonObject { ["href"] = $"{baseUrl}/{collection}/{id}", ["rel"] = "bookmark" },
    ];

    public static JsonObject Instance(InstanceRecord i, DatastoreVersion? version, string baseUrl, string region)
    {
        var view = new JsonObject
        {
            ["id"] = i.Id,
            ["name"] = i.Name,
            ["status"] = InstanceStatusView.Status(i.Task, i.ServerStatus),
            ["operating_status"] = InstanceStatusView.OperatingStatus(i.Task, i.ServerStatus, i.ServiceStatus),
            ["links"] = Links(baseUrl, i.ProjectId, "instances", i.Id),
            ["flavor"] = new JsonObject { ["id"] = i.FlavorId, ["links"] = Links(baseUrl, i.ProjectId, "flavors", i.FlavorId) },
            ["datastore"] = new JsonObject { ["type"] = version?.DatastoreName, ["version"] = version?.Name },
            ["region"] = region,
            ["access"] = Access(i),
            ["volume"] = new JsonObject { ["size"] = i.VolumeSize },
        };
        if (i.Address is { } address)
        {
            view["ip"] = new JsonArray(address);
            view["addresses"] = new JsonArray(new JsonObject { ["address"] = address, ["type"] = "private" });
        }

        return view;
    }

    /// <summary>Trove's access view: never public here; every network (<c>0.0.0.0/0</c>) when unrestricted, as Trove shows it.</summary>
    public static JsonObject Access(InstanceRecord i)
    {
        var allowed = AllowedCidrs.FromStored(i.AllowedCidrs);
        return new JsonObject
        {
            ["is_public"] = false,
            ["allowed_cidrs"] = allowed.Count == 0
                ? new JsonArray(AllowedCidrs.Everyone)
                : new JsonArray([.. allowed.Select(c => (JsonNode)JsonValue.Create(c.ToString()))]),
        };
    }

    public static JsonObject InstanceDetail(InstanceRecord i, DatastoreVersion? version, InstanceFault? fault, long? usedBytes,
        string baseUrl, string region)
    {
        var view = Instance(i, version, baseUrl, region);
        view["created"] = Time(i.Created);
        view["updated"] = Time(i.Updated);
        if (i.ServiceStatusUpdated is { } reported)
        {
            view["service_status_updated"] = Time(reported);
        }

        view["datastore"]!["version_number"] = version?.Version;
        if (usedBytes is { } used && view["status"]?.ToString() is not ("BUILD" or "REBOOT" or "RESIZE" or "ERROR"))
        {
            var usedGb = Math.Round(used / (1024.0 * 1024 * 1024), 2);
            view["volume"]!["used"] = usedGb;
            view["volume"]!["used_percent"] = i.VolumeSize > 0 ? Math.Round(100 * usedGb / i.VolumeSize, 2) : 0;
        }

        // As in Trove: the latest fault stays visible until a newer one replaces it.
        if (fault is not null)
        {
            view["fault"] = new JsonObject
            {
                ["message"] = fault.Message, ["created"] = Time(fault.Created), ["details"] = fault.Details ?? "",
            };
        }

        if (i.Port > 0)
        {
            view["port"] = i.Port;
        }

        return view;
    }

    /// <summary>
    /// Hoard's own field in an instance's detail: the limits read back from the host (memory in MB, CPU quota in CPUs, a
    /// limit absent when unlimited), what enforces them, or <c>"enforced_by": "none"</c> and why not.
    /// </summary>
    public static JsonObject Resources(ResourceLimits limits)
    {
        var view = new JsonObject
        {
            ["memory_limit_mb"] = limits.MemoryLimitMb, ["cpu_quota"] = limits.CpuQuota, ["enforced_by"] = limits.EnforcedBy,
        };
        if (limits.Reason is { } reason)
        {
            view["reason"] = reason;
        }

        if (limits.OomKills is { } kills)
        {
            view["oom_kills"] = kills;
        }

        return view;
    }

    public static JsonObject Flavor(Flavor f, string baseUrl, string projectId) => new()
    {
        ["id"] = int.TryParse(f.Id, out var n) ? n : null,
        ["str_id"] = f.Id,
        ["name"] = f.Name,
        ["ram"] = f.RamMb,
        ["vcpus"] = f.Vcpus,
        ["disk"] = f.DiskGb,
        ["ephemeral"] = 0,
        ["links"] = Links(baseUrl, projectId, "flavors", f.Id),
    };

    public static JsonObject DatastoreVersion(DatastoreVersion v, string baseUrl, string projectId) => new()
    {
        ["id"] = v.Id,
        ["name"] = v.Name,
        ["version"] = v.Version,
        ["datastore"] = v.DatastoreId,
        ["active"] = v.Active,
        ["links"] = Links(baseUrl, projectId, "datastores/versions", v.Id),
    };

    /// <summary>Trove's pagination: a "next" link when a full page was returned.</summary>
    public static void AddNextLink(JsonObject body, HttpRequest request, int limit, int count, string? lastMarker)
    {
        if (NextUrl(request, limit, count, lastMarker) is { } url)
        {
            body["links"] = new JsonArray(new JsonObject { ["rel"] = "next", ["href"] = url });
        }
    }

    /// <summary>The "next" link's URL, or null when the page was not full.</summary>
    public static string? NextUrl(HttpRequest request, int limit, int count, string? lastMarker) =>
        count < limit || lastMarker is null
            ? null
            : $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}?limit={limit}&marker={Uri.EscapeDataString(lastMarker)}";

    public static (int Limit, string? Marker) Page(HttpRequest request)
    {
        var limit = 20;
        if (request.Query.TryGetValue("limit", out var raw) && (!int.TryParse(raw, out limit) || limit < 1))
        {
            throw TroveFault.BadRequest("limit must be a positive integer.");
        }

        var marker = request.Query.TryGetValue("marker", out var m) ? m.ToString() : null;
        return (Math.Min(limit, 1000), string.IsNullOrEmpty(marker) ? null : marker);
    }
}
