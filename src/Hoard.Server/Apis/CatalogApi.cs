using System.Globalization;
using System.Text.Json.Nodes;
using Hoard.Core.Catalog;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Hoard.Server.Identity;
using Hoard.Server.RateLimiting;
using Hoard.Server.Trove;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Apis;

/// <summary>API versions, flavors, datastores and their versions, and limits.</summary>
internal static class CatalogApi
{
    public static void MapCatalogApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", (IOptions<HoardOptions> o) => Reply.Json(new JsonObject { ["versions"] = new JsonArray(Version(o.Value)) }));
        app.MapGet("/v1.0", (IOptions<HoardOptions> o) => Reply.Json(new JsonObject { ["version"] = Version(o.Value) }));
        app.MapGet("/healthcheck", () => Results.Text("OK"));

        var project = app.MapGroup("/v1.0/{projectId}");
        project.MapGet("/flavors", ListFlavorsAsync);
        project.MapGet("/flavors/{id}", ShowFlavorAsync);
        project.MapGet("/datastores", ListDatastoresAsync);
        project.MapGet("/datastores/versions/{version}", ShowVersionByIdAsync);
        project.MapGet("/datastores/{datastore}", ShowDatastoreAsync);
        project.MapGet("/datastores/{datastore}/versions", ListVersionsAsync);
        project.MapGet("/datastores/{datastore}/versions/{version}", ShowVersionAsync);
        project.MapGet("/datastores/{datastore}/versions/{version}/flavors", ListFlavorsAsync);
        project.MapGet("/limits", LimitsAsync);
    }

    private static JsonObject Version(HoardOptions options) => new()
    {
        ["id"] = "v1.0", ["status"] = "CURRENT", ["updated"] = "2012-08-01T00:00:00Z",
        ["links"] = new JsonArray(new JsonObject { ["href"] = options.BaseUrl + "/v1.0/", ["rel"] = "self" }),
    };

    private static async Task<IResult> ListFlavorsAsync(HttpContext http, CatalogStore catalog, IOptions<HoardOptions> o, CancellationToken ct)
    {
        var project = http.Token().ProjectId;
        var flavors = await catalog.ListFlavorsAsync(ct);
        return Reply.Json(new JsonObject
        {
            ["flavors"] = new JsonArray([.. flavors.Select(f => (JsonNode)Views.Flavor(f, o.Value.BaseUrl, project))]),
        });
    }

    private static async Task<IResult> ShowFlavorAsync(HttpContext http, string id, CatalogStore catalog, IOptions<HoardOptions> o,
        CancellationToken ct)
    {
        var flavor = await catalog.GetFlavorAsync(id, ct) ?? throw TroveFault.NotFound($"Flavor {id} could not be found.");
        return Reply.Json(new JsonObject { ["flavor"] = Views.Flavor(flavor, o.Value.BaseUrl, http.Token().ProjectId) });
    }

    private static async Task<IResult> ListDatastoresAsync(HttpContext http, CatalogStore catalog, IOptions<HoardOptions> o, CancellationToken ct)
    {
        var project = http.Token().ProjectId;
        var versions = await catalog.ListVersionsAsync(ct);
        var list = new JsonArray();
        foreach (var ds in await catalog.ListDatastoresAsync(ct))
        {
            list.Add(DatastoreView(ds, versions, o.Value.BaseUrl, project));
        }

        return Reply.Json(new JsonObject { ["datastores"] = list });
    }

    private static async Task<IResult> ShowDatastoreAsync(HttpContext http, string datastore, CatalogStore catalog,
        IOptions<HoardOptions> o, CancellationToken ct)
    {
        var ds = await FindDatastoreAsync(catalog, datastore, ct);
        var versions = await catalog.ListVersionsAsync(ct);
        return Reply.Json(new JsonObject { ["datastore"] = DatastoreView(ds, versions, o.Value.BaseUrl, http.Token().ProjectId) });
    }

    private static async Task<IResult> ListVersionsAsync(HttpContext http, string datastore, CatalogStore catalog,
        IOptions<HoardOptions> o, CancellationToken ct)
    {
        var ds = await FindDatastoreAsync(catalog, datastore, ct);
        var versions = (await catalog.ListVersionsAsync(ct)).Where(v => v.DatastoreId == ds.Id && v.Active);
        return Reply.Json(new JsonObject
        {
            ["versions"] = new JsonArray([.. versions.Select(v => (JsonNode)Views.DatastoreVersion(v, o.Value.BaseUrl, http.Token().ProjectId))]),
        });
    }

    private static async Task<IResult> ShowVersionAsync(HttpContext http, string datastore, string version, CatalogStore catalog,
        IOptions<HoardOptions> o, CancellationToken ct)
    {
        var ds = await FindDatastoreAsync(catalog, datastore, ct);
        var v = (await catalog.ListVersionsAsync(ct)).FirstOrDefault(x => x.DatastoreId == ds.Id && (x.Id == version || x.Name == version))
                ?? throw TroveFault.NotFound($"Datastore version '{version}' cannot be found.");
        return Reply.Json(new JsonObject { ["version"] = Views.DatastoreVersion(v, o.Value.BaseUrl, http.Token().ProjectId) });
    }

    private static async Task<IResult> ShowVersionByIdAsync(HttpContext http, string version, CatalogStore catalog,
        IOptions<HoardOptions> o, CancellationToken ct)
    {
        var v = (await catalog.ListVersionsAsync(ct)).FirstOrDefault(x => x.Id == version)
                ?? throw TroveFault.NotFound($"Datastore version '{version}' cannot be found.");
        return Reply.Json(new JsonObject { ["version"] = Views.DatastoreVersion(v, o.Value.BaseUrl, http.Token().ProjectId) });
    }

    /// <summary>A request's <c>datastore: {type, version}</c>, both optional: the default datastore and its default version.</summary>
    internal static async Task<DatastoreVersion> ResolveVersionAsync(CatalogStore catalog, JsonObject? datastore, string path,
        CancellationToken cancellationToken)
    {
        var type = datastore is null ? null : Body.String(datastore, "type", path);
        var versionName = datastore is null ? null : Body.String(datastore, "version", path);
        var datastores = await catalog.ListDatastoresAsync(cancellationToken);
        var ds = type is null
            ? datastores.FirstOrDefault()
            : datastores.FirstOrDefault(d => d.Name == type || d.Id == type);
        if (ds is null)
        {
            throw TroveFault.NotFound($"Datastore '{type}' cannot be found.");
        }

        var versions = (await catalog.ListVersionsAsync(cancellationToken)).Where(v => v.DatastoreId == ds.Id).ToList();
        var version = versionName is null
            ? versions.FirstOrDefault(v => v.Id == ds.DefaultVersionId) ?? versions.FirstOrDefault(v => v.Active)
            : versions.FirstOrDefault(v => v.Name == versionName || v.Id == versionName);
        if (version is null)
        {
            throw TroveFault.NotFound($"Datastore version '{versionName}' cannot be found.");
        }

        return version.Active ? version : throw TroveFault.BadRequest($"Datastore version '{version.Name}' is not active.");
    }

    private static async Task<Datastore> FindDatastoreAsync(CatalogStore catalog, string idOrName, CancellationToken ct) =>
        (await catalog.ListDatastoresAsync(ct)).FirstOrDefault(d => d.Id == idOrName || d.Name == idOrName)
        ?? throw TroveFault.NotFound($"Datastore '{idOrName}' cannot be found.");

    private static JsonObject DatastoreView(Datastore ds, IEnumerable<DatastoreVersion> versions, string baseUrl, string project)
    {
        var view = new JsonObject
        {
            ["id"] = ds.Id,
            ["name"] = ds.Name,
            ["links"] = Views.Links(baseUrl, project, "datastores", ds.Id),
            ["versions"] = new JsonArray([.. versions.Where(v => v.DatastoreId == ds.Id && v.Active)
                .Select(v => (JsonNode)new JsonObject
                {
                    ["id"] = v.Id, ["name"] = v.Name, ["version"] = v.Version,
                    ["links"] = Views.Links(baseUrl, project, "datastores/versions", v.Id),
                })]),
        };
        if (ds.DefaultVersionId is not null)
        {
            view["default_version"] = ds.DefaultVersionId;
        }

        return view;
    }

    /// <summary>Trove's absolute limits of the caller's project and, as Hoard adds (the client prints them too), what it uses.</summary>
    private static async Task<IResult> LimitsAsync(HttpContext http, QuotaStore quotas, ProjectRateLimiter rates, IOptions<HoardOptions> o,
        CancellationToken ct)
    {
        var project = http.Token().ProjectId;
        var limits = await quotas.GetLimitsAsync(project, QuotasApi.Defaults(o.Value), ct);
        var usage = await quotas.GetUsageAsync(project, ct);
        return Reply.Json(new JsonObject
        {
            ["limits"] = new JsonArray([new JsonObject
            {
                ["verb"] = "ABSOLUTE",
                ["max_instances"] = limits[QuotaStore.Instances],
                ["max_backups"] = limits[QuotaStore.Backups],
                ["max_volumes"] = limits[QuotaStore.Volumes],
                ["max_ram"] = limits[QuotaStore.Ram],
                ["instances_used"] = usage[QuotaStore.Instances],
                ["backups_used"] = usage[QuotaStore.Backups],
                ["volumes_used"] = usage[QuotaStore.Volumes],
                ["ram_used"] = usage[QuotaStore.Ram],
            }, .. rates.Statuses(project).Select(r => (JsonNode)new JsonObject
            {
                ["verb"] = r.Verb, ["uri"] = "*", ["regex"] = ".*", ["value"] = r.Value, ["remaining"] = r.Remaining,
                ["unit"] = "MINUTE", ["nextAvailable"] = r.NextAvailable.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            })]),
        });
    }
}
