using System.Text.Json;
using System.Text.Json.Nodes;
using Hoard.Core.Catalog;
using Hoard.Core.Configurations;
using Hoard.Messaging.Clients;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Hoard.Server.Identity;
using Hoard.Server.TaskManager;
using Hoard.Server.Trove;
using Microsoft.Extensions.Options;
using Hoard.Contracts.Bus;

namespace Hoard.Server.Apis;

/// <summary>
/// Configuration groups (<c>/configurations</c>), the parameters they may hold
/// (<c>/datastores/…/versions/…/parameters</c>) and an instance's effective configuration.
/// </summary>
internal static class ConfigurationsApi
{
    public static void MapConfigurationsApi(this IEndpointRouteBuilder app)
    {
        var project = app.MapGroup("/v1.0/{projectId}");
        project.MapGet("/configurations", ListAsync);
        project.MapPost("/configurations", CreateAsync);
        project.MapGet("/configurations/{id}", ShowAsync);
        project.MapGet("/configurations/{id}/instances", ListInstancesAsync);
        project.MapPatch("/configurations/{id}", (HttpContext http, string id, [AsParameters] Services s, CancellationToken ct) => UpdateAsync(http, id, s, merge: true, ct));
        project.MapPut("/configurations/{id}", (HttpContext http, string id, [AsParameters] Services s, CancellationToken ct) => UpdateAsync(http, id, s, merge: false, ct));
        project.MapDelete("/configurations/{id}", DeleteAsync);

        project.MapGet("/datastores/{datastore}/versions/{version}/parameters", ListParametersAsync);
        project.MapGet("/datastores/{datastore}/versions/{version}/parameters/{name}", ShowParameterAsync);
        project.MapGet("/datastores/versions/{version}/parameters", (string version, CatalogStore c, CancellationToken ct) =>
            ListParametersAsync(null, version, c, ct));
        project.MapGet("/datastores/versions/{version}/parameters/{name}", (string version, string name, CatalogStore c, CancellationToken ct) =>
            ShowParameterAsync(null, version, name, c, ct));

        project.MapGet("/instances/{id}/configuration", ShowInstanceConfigurationAsync);
    }

    /// <summary>The services every group endpoint uses, injected as one.</summary>
    internal sealed record Services(
        ConfigurationStore Configurations,
        InstanceStore Instances,
        CatalogStore Catalog,
        ConfigurationApplier Applier,
        IOptions<HoardOptions> Options,
        TimeProvider Time);

    private static async Task<IResult> ListAsync(HttpContext http, [AsParameters] Services s, CancellationToken ct)
    {
        var (limit, marker) = Views.Page(http.Request);
        var page = await s.Configurations.ListAsync(http.Token().ProjectId, limit, marker, ct);
        var versions = (await s.Catalog.ListVersionsAsync(ct)).ToDictionary(v => v.Id);
        var body = new JsonObject
        {
            ["configurations"] = new JsonArray([.. page.Select(g => (JsonNode)View(g, versions.GetValueOrDefault(g.DatastoreVersionId)))]),
        };
        Views.AddNextLink(body, http.Request, limit, page.Count, page.LastOrDefault()?.Id);
        return Reply.Json(body);
    }

    private static async Task<IResult> CreateAsync(HttpContext http, [AsParameters] Services s, CancellationToken ct)
    {
        var token = http.Token();
        Policy.RequireWriter(http);
        const string path = "configuration";
        var spec = Body.Wrapper(await Body.ReadAsync(http.Request, ct), path);
        Body.OnlyKeys(spec, path, "name", "description", "values", "datastore");
        var name = Body.NonEmptyName(spec, "name", path);
        var description = Description(spec, path);
        var values = Body.Object(spec, "values", path) ?? throw TroveFault.Validation($"{path}.values is a required object.");
        var version = await CatalogApi.ResolveVersionAsync(s.Catalog, Body.Object(spec, "datastore", path), path + ".datastore", ct);
        var validated = new ConfigurationRules(version).Validate(values);

        var now = s.Time.GetUtcNow();
        var group = new ConfigurationGroup(Guid.NewGuid().ToString(), token.ProjectId, name, description, version.Id, validated, now, now);
        await s.Configurations.InsertAsync(group, ct);
        return Reply.Json(new JsonObject { ["configuration"] = Detail(group, version, 0) });
    }

    private static async Task<IResult> ShowAsync(HttpContext http, string id, [AsParameters] Services s, CancellationToken ct)
    {
        var group = await GetAsync(http, s.Configurations, id, ct);
        var version = await s.Catalog.GetVersionAsync(group.DatastoreVersionId, ct);
        var count = await s.Configurations.CountInstancesAsync(group.Id, ct);
        return Reply.Json(new JsonObject { ["configuration"] = Detail(group, version, count) });
    }

    private static async Task<IResult> ListInstancesAsync(HttpContext http, string id, [AsParameters] Services s, CancellationToken ct)
    {
        var group = await GetAsync(http, s.Configurations, id, ct);
        var (limit, marker) = Views.Page(http.Request);
        var page = await s.Configurations.ListInstancesAsync(group.Id, limit, marker, ct);
        var body = new JsonObject
        {
            ["instances"] = new JsonArray([.. page.Select(i => (JsonNode)new JsonObject { ["id"] = i.Id, ["name"] = i.Name })]),
        };
        Views.AddNextLink(body, http.Request, limit, page.Count, page.LastOrDefault().Id);
        return Reply.Json(body);
    }

    /// <summary>
    /// PATCH merges values (<c>null</c> removes one); PUT replaces them and may rename. Every attached instance
    /// must still fit the result; then each gets it applied (now, or by the reconciler once it is free).
    /// </summary>
    private static async Task<IResult> UpdateAsync(HttpContext http, string id, Services s, bool merge, CancellationToken ct)
    {
        Policy.RequireWriter(http);
        var group = await GetAsync(http, s.Configurations, id, ct);
        const string path = "configuration";
        var spec = Body.Wrapper(await Body.ReadAsync(http.Request, ct), path);
        var version = await s.Catalog.GetVersionAsync(group.DatastoreVersionId, ct)
                      ?? throw TroveFault.NotFound($"Datastore version {group.DatastoreVersionId} cannot be found.");
        var rules = new ConfigurationRules(version);

        string name = group.Name;
        var description = group.Description;
        JsonObject values;
        if (merge)
        {
            Body.OnlyKeys(spec, path, "values");
            var changes = Body.Object(spec, "values", path) ?? throw TroveFault.Validation($"{path}.values is a required object.");
            values = (JsonObject)group.Values.DeepClone();
            var set = new JsonObject();
            foreach (var (key, value) in changes)
            {
                if (value is null)
                {
                    values.Remove(key);
                }
                else
                {
                    set[key] = value.DeepClone();
                }
            }

            foreach (var (key, value) in rules.Validate(set))
            {
                values[key] = value!.DeepClone();
            }
        }
        else
        {
            Body.OnlyKeys(spec, path, "values", "name", "description");
            if (spec.ContainsKey("name"))
            {
                name = Body.NonEmptyName(spec, "name", path);
            }

            if (spec.ContainsKey("description"))
            {
                description = Description(spec, path);
            }

            values = Body.Object(spec, "values", path) is { } replacement ? rules.Validate(replacement) : group.Values;
        }

        var attached = await AttachedAsync(s, group.Id, ct);
        foreach (var instance in attached)
        {
            var flavor = await s.Catalog.GetFlavorAsync(instance.FlavorId, ct)
                         ?? throw TroveFault.NotFound($"Flavor {instance.FlavorId} could not be found.");
            rules.CheckFits(values, flavor);
        }

        if (!await s.Configurations.UpdateAsync(group.Id, name, description, values, ct))
        {
            throw NotFound(id);
        }

        foreach (var instance in attached)
        {
            await s.Applier.TryApplyAsync(instance, ct);
        }

        return merge ? Results.Ok() : Reply.Accepted();
    }

    private static async Task<IResult> DeleteAsync(HttpContext http, string id, [AsParameters] Services s, CancellationToken ct)
    {
        Policy.RequireWriter(http);
        var group = await GetAsync(http, s.Configurations, id, ct);
        if (!await s.Configurations.TryDeleteAsync(group.Id, ct))
        {
            throw TroveFault.BadRequest($"Configuration group {group.Id} is attached to instances; detach it before deleting it.");
        }

        return Reply.Accepted();
    }

    private static async Task<IResult> ListParametersAsync(string? datastore, string version, CatalogStore catalog, CancellationToken ct)
    {
        var v = await FindVersionAsync(catalog, datastore, version, ct);
        return Reply.Json(new JsonObject
        {
            ["configuration-parameters"] = new JsonArray([.. v.Parameters.Select(p => (JsonNode)ConfigurationRules.View(p, v.Id))]),
        });
    }

    private static async Task<IResult> ShowParameterAsync(string? datastore, string version, string name, CatalogStore catalog, CancellationToken ct)
    {
        var v = await FindVersionAsync(catalog, datastore, version, ct);
        var parameter = v.Parameters.FirstOrDefault(p => p.Name == name)
                        ?? throw TroveFault.NotFound($"Configuration parameter '{name}' cannot be found for {v.DatastoreName} {v.Name}.");
        return Reply.Json(ConfigurationRules.View(parameter, v.Id));
    }

    /// <summary>The instance's configuration file as the guest holds it: flavor defaults with the group's values.</summary>
    private static async Task<IResult> ShowInstanceConfigurationAsync(HttpContext http, string id, InstanceAccess access, IMessageBus bus,
        CancellationToken ct)
    {
        var instance = await access.GetAsync(http, id, ct);
        InstanceAccess.RequireAvailable(instance);
        var values = await new GuestClient(bus, instance.Id).GetConfigurationAsync(ct);
        var configuration = new JsonObject();
        foreach (var (key, value) in values.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            configuration[key] = value;
        }

        return Reply.Json(new JsonObject { ["instance"] = new JsonObject { ["configuration"] = configuration } });
    }

    private static async Task<List<Core.Instances.InstanceRecord>> AttachedAsync(Services s, string groupId, CancellationToken ct)
    {
        var attached = new List<Core.Instances.InstanceRecord>();
        foreach (var (instanceId, _) in await s.Configurations.ListInstancesAsync(groupId, int.MaxValue, null, ct))
        {
            if (await s.Instances.GetAsync(instanceId, ct) is { } instance)
            {
                attached.Add(instance);
            }
        }

        return attached;
    }

    private static async Task<DatastoreVersion> FindVersionAsync(CatalogStore catalog, string? datastore, string version, CancellationToken ct)
    {
        var versions = await catalog.ListVersionsAsync(ct);
        DatastoreVersion? found;
        if (datastore is null)
        {
            found = versions.FirstOrDefault(v => v.Id == version);
        }
        else
        {
            var ds = (await catalog.ListDatastoresAsync(ct)).FirstOrDefault(d => d.Id == datastore || d.Name == datastore)
                     ?? throw TroveFault.NotFound($"Datastore '{datastore}' cannot be found.");
            found = versions.FirstOrDefault(v => v.DatastoreId == ds.Id && (v.Id == version || v.Name == version));
        }

        return found ?? throw TroveFault.NotFound($"Datastore version '{version}' cannot be found.");
    }

    internal static async Task<ConfigurationGroup> GetAsync(HttpContext http, ConfigurationStore configurations, string id, CancellationToken ct) =>
        await configurations.GetAsync(id, http.Token().ProjectId, ct) ?? throw NotFound(id);

    private static TroveFault NotFound(string id) => TroveFault.NotFound($"Configuration group {id} could not be found.");

    private static string? Description(JsonObject spec, string path) =>
        spec["description"] is null || spec["description"]!.GetValueKind() == JsonValueKind.Null
            ? null
            : Body.String(spec, "description", path, maxLength: 1024);

    private static JsonObject View(ConfigurationGroup g, DatastoreVersion? version) => new()
    {
        ["id"] = g.Id,
        ["name"] = g.Name,
        ["description"] = g.Description,
        ["created"] = Views.Time(g.Created),
        ["updated"] = Views.Time(g.Updated),
        ["datastore_name"] = version?.DatastoreName,
        ["datastore_version_id"] = g.DatastoreVersionId,
        ["datastore_version_name"] = version?.Name,
        ["datastore_version_number"] = version?.Version,
    };

    private static JsonObject Detail(ConfigurationGroup g, DatastoreVersion? version, int instanceCount)
    {
        var view = View(g, version);
        view["values"] = g.Values.DeepClone();
        view["instance_count"] = instanceCount;
        return view;
    }
}
