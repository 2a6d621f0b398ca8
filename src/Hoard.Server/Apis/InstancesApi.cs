using System.Text.Json.Nodes;
using Hoard.Contracts.Guest;
using Hoard.Core.Catalog;
using Hoard.Core.Compute;
using Hoard.Core.Identity;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Hoard.Server.Identity;
using Hoard.Server.TaskManager.Workflows;
using Hoard.Server.Trove;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Apis;

/// <summary><c>/v1.0/{project_id}/instances</c>: create, list, show, rename, delete, and actions.</summary>
internal static class InstancesApi
{
    private static readonly InstanceTask[] DeletableFrom =
    [
        InstanceTask.None, InstanceTask.Rebooting, InstanceTask.Resizing, InstanceTask.RestartRequired,
        InstanceTask.BuildingError, InstanceTask.BuildingErrorTimeout, InstanceTask.RebootingError, InstanceTask.DeletingError,
    ];

    public static void MapInstancesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1.0/{projectId}/instances");
        group.MapGet("", (HttpContext http, InstanceStore s, CatalogStore c, IOptions<HoardOptions> o, CancellationToken ct) =>
            ListAsync(http, s, c, o.Value, detail: false, ct));
        group.MapGet("/detail", (HttpContext http, InstanceStore s, CatalogStore c, IOptions<HoardOptions> o, CancellationToken ct) =>
            ListAsync(http, s, c, o.Value, detail: true, ct));
        group.MapPost("", CreateAsync);
        group.MapGet("/{id}", ShowAsync);
        group.MapPut("/{id}", UpdateAsync);
        group.MapPatch("/{id}", UpdateAsync);
        group.MapDelete("/{id}", DeleteAsync);
        group.MapPost("/{id}/action", ActionAsync);
    }

    private static async Task<IResult> ListAsync(HttpContext http, InstanceStore instances, CatalogStore catalog,
        HoardOptions options, bool detail, CancellationToken cancellationToken)
    {
        var (limit, marker) = Views.Page(http.Request);
        var page = await instances.ListAsync(http.Token().ProjectId, limit, marker, cancellationToken);
        var versions = (await catalog.ListVersionsAsync(cancellationToken)).ToDictionary(v => v.Id);
        var items = new JsonArray();
        foreach (var i in page)
        {
            var version = versions.GetValueOrDefault(i.DatastoreVersionId);
            items.Add(detail
                ? Views.InstanceDetail(i, version, null, null, options.BaseUrl, options.Region)
                : Views.Instance(i, version, options.BaseUrl, options.Region));
        }

        var body = new JsonObject { ["instances"] = items };
        Views.AddNextLink(body, http.Request, limit, page.Count, page.LastOrDefault()?.Id);
        return Reply.Json(body);
    }

    private static async Task<IResult> ShowAsync(HttpContext http, string id, InstanceAccess access, InstanceStore instances,
        CatalogStore catalog, IVolumeProvider volumes, IOptions<HoardOptions> options, CancellationToken cancellationToken)
    {
        var instance = await access.GetAsync(http, id, cancellationToken);
        return Reply.Json(new JsonObject { ["instance"] = await DetailAsync(instance, instances, catalog, volumes, options.Value, cancellationToken) });
    }

    private static async Task<JsonObject> DetailAsync(InstanceRecord instance, InstanceStore instances, CatalogStore catalog,
        IVolumeProvider volumes, HoardOptions options, CancellationToken cancellationToken)
    {
        var version = await catalog.GetVersionAsync(instance.DatastoreVersionId, cancellationToken);
        var fault = await instances.GetLatestFaultAsync(instance.Id, cancellationToken);
        var used = instance.Task == InstanceTask.None ? await volumes.GetUsedBytesAsync(instance.Id, cancellationToken) : null;
        return Views.InstanceDetail(instance, version, fault, used, options.BaseUrl, options.Region);
    }

    private static async Task<IResult> CreateAsync(HttpContext http, InstanceStore instances, CatalogStore catalog,
        IVolumeProvider volumes, WorkflowEngine engine, IOptions<HoardOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var token = http.Token();
        Policy.RequireWriter(http);
        var spec = Body.Wrapper(await Body.ReadAsync(http.Request, cancellationToken), "instance");
        const string path = "instance";
        var name = Body.NonEmptyName(spec, "name", path);
        foreach (var unsupported in new[] { "replica_of", "replica_count", "restorePoint", "nics", "modules", "locality", "cluster_config" })
        {
            if (spec[unsupported] is not null)
            {
                throw TroveFault.NotImplemented($"'{unsupported}' is not supported by this Hoard release yet.");
            }
        }

        if (spec["configuration"] is { } configuration && configuration.GetValueKind() != System.Text.Json.JsonValueKind.Null)
        {
            throw TroveFault.NotImplemented("Configuration groups are not supported by this Hoard release yet.");
        }

        var access = Body.Object(spec, "access", path);
        if (access is not null && (Body.Boolean(access, "is_public", path + ".access") == true || access["allowed_cidrs"] is JsonArray { Count: > 0 }))
        {
            throw TroveFault.NotImplemented("Public access and allowed CIDRs are not supported by this Hoard release yet.");
        }

        var flavorRef = Body.Reference(spec, "flavorRef", path, required: true)!;
        var flavor = await catalog.GetFlavorAsync(flavorRef, cancellationToken)
                     ?? throw TroveFault.NotFound($"Flavor {flavorRef} could not be found.");

        var volume = Body.Object(spec, "volume", path) ?? throw TroveFault.BadRequest("Volume size unspecified: volume.size is required.");
        var size = Body.PositiveInteger(volume, "size", path + ".volume");
        if (size > options.Value.MaxVolumeSizeGb)
        {
            throw TroveFault.OverLimit($"Volume 'size' cannot exceed maximum of {options.Value.MaxVolumeSizeGb} GB, {size} cannot be accepted.");
        }

        var version = await ResolveVersionAsync(catalog, Body.Object(spec, "datastore", path), cancellationToken);
        if (flavor.RamMb < version.Capabilities.MinimumRamMb)
        {
            throw TroveFault.BadRequest($"Flavor {flavor.Name} has {flavor.RamMb} MB of RAM; {version.DatastoreName} needs at least {version.Capabilities.MinimumRamMb} MB.");
        }

        var rules = new DatastoreRules(version.Capabilities);
        var databases = Body.Array(spec, "databases", path) is { } dbs ? Databases(rules, dbs) : [];
        var users = Body.Array(spec, "users", path) is { } us ? Users(rules, us, databases) : [];
        var zone = Body.String(spec, "availability_zone", path);

        await CheckQuotaAsync(instances, token.ProjectId, size, options.Value, cancellationToken);

        var now = time.GetUtcNow();
        var instance = new InstanceRecord
        {
            Id = Guid.NewGuid().ToString(), ProjectId = token.ProjectId, Name = name, FlavorId = flavor.Id,
            DatastoreVersionId = version.Id, VolumeSize = size, Task = InstanceTask.Building, ServerStatus = ServerStatus.Build,
            ServiceStatus = ServiceStatus.New, Port = version.Capabilities.Port, AvailabilityZone = zone, Created = now, Updated = now,
        };
        await instances.InsertAsync(instance, ProvisionInstanceWorkflow.Create(instance, databases, users), cancellationToken);
        engine.Poke();
        return Reply.Json(new JsonObject { ["instance"] = await DetailAsync(instance, instances, catalog, volumes, options.Value, cancellationToken) });
    }

    private static List<DatabaseSpec> Databases(DatastoreRules rules, JsonArray array)
    {
        rules.RequireDatabases();
        return rules.Databases(array, "instance.databases");
    }

    private static List<UserSpec> Users(DatastoreRules rules, JsonArray array, List<DatabaseSpec> databases)
    {
        rules.RequireUsers();
        return rules.Users(array, "instance.users", [.. databases.Select(d => d.Name)]);
    }

    private static async Task<DatastoreVersion> ResolveVersionAsync(CatalogStore catalog, JsonObject? datastore, CancellationToken cancellationToken)
    {
        var type = datastore is null ? null : Body.String(datastore, "type", "instance.datastore");
        var versionName = datastore is null ? null : Body.String(datastore, "version", "instance.datastore");
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

    private static async Task CheckQuotaAsync(InstanceStore instances, string projectId, int size, HoardOptions options,
        CancellationToken cancellationToken)
    {
        var live = await instances.ListAsync(projectId, int.MaxValue, null, cancellationToken);
        var over = new List<string>();
        if (live.Count + 1 > options.DefaultInstanceQuota)
        {
            over.Add("instances");
        }

        if (live.Sum(i => i.VolumeSize) + size > options.DefaultVolumeQuotaGb)
        {
            over.Add("volumes");
        }

        if (over.Count > 0)
        {
            throw TroveFault.OverLimit($"Quota exceeded for resources: [{string.Join(", ", over.Select(r => $"'{r}'"))}].");
        }
    }

    private static async Task<IResult> UpdateAsync(HttpContext http, string id, InstanceAccess access, InstanceStore instances,
        CancellationToken cancellationToken)
    {
        Policy.RequireWriter(http);
        var instance = await access.GetAsync(http, id, cancellationToken);
        var spec = Body.Wrapper(await Body.ReadAsync(http.Request, cancellationToken), "instance");
        Body.OnlyKeys(spec, "instance", "name", "replica_of", "slave_of", "configuration", "datastore_version", "access");
        var others = spec.Select(kv => kv.Key).Where(k => k != "name").ToList();
        if (others.Count > 1)
        {
            throw TroveFault.BadRequest("Only one attribute (except 'name') is allowed to be updated at a time.");
        }

        if (others.Count == 1)
        {
            throw TroveFault.NotImplemented($"Updating '{others[0]}' is not supported by this Hoard release yet.");
        }

        if (spec.ContainsKey("name"))
        {
            await instances.SetNameAsync(instance.Id, Body.NonEmptyName(spec, "name", "instance"), cancellationToken);
        }

        return Reply.Accepted();
    }

    private static async Task<IResult> DeleteAsync(HttpContext http, string id, InstanceAccess access, InstanceStore instances,
        WorkflowEngine engine, TimeProvider time, CancellationToken cancellationToken)
    {
        Policy.RequireWriter(http);
        var instance = await access.GetAsync(http, id, cancellationToken);
        if (instance.Task == InstanceTask.Deleting)
        {
            return Reply.Accepted();
        }

        if (instance.Task == InstanceTask.Building)
        {
            throw InstanceAccess.NotAvailable(instance);
        }

        if (!await instances.TryBeginAsync(instance.Id, InstanceTask.Deleting, DeleteInstanceWorkflow.Create(instance.Id, time.GetUtcNow()),
                DeletableFrom, cancellationToken))
        {
            throw InstanceAccess.NotAvailable(instance);
        }

        engine.Poke();
        return Reply.Accepted();
    }

    private static async Task<IResult> ActionAsync(HttpContext http, string id, InstanceAccess access, InstanceStore instances,
        WorkflowEngine engine, TimeProvider time, CancellationToken cancellationToken)
    {
        var token = http.Token();
        Policy.RequireWriter(http);
        var instance = await access.GetAsync(http, id, cancellationToken);
        var body = await Body.ReadAsync(http.Request, cancellationToken);
        if (body.Count != 1)
        {
            throw TroveFault.BadRequest("The action body must contain exactly one action.");
        }

        var action = body.First().Key;
        switch (action)
        {
            case "restart":
                InstanceAccess.RequireAvailable(instance);
                if (!await instances.TryBeginAsync(instance.Id, InstanceTask.Rebooting, RestartInstanceWorkflow.Create(instance.Id, time.GetUtcNow()),
                        [InstanceTask.None, InstanceTask.RestartRequired], cancellationToken))
                {
                    throw InstanceAccess.NotAvailable(instance);
                }

                engine.Poke();
                return Reply.Accepted();
            case "reset_status":
                if (!token.IsAdmin)
                {
                    throw TroveFault.Unauthorized("User does not have admin privileges.");
                }

                await instances.ResetStatusAsync(instance.Id, cancellationToken);
                return Reply.Accepted();
            case "resize" or "promote_to_replica_source" or "eject_replica_source":
                throw TroveFault.NotImplemented($"The '{action}' action is not supported by this Hoard release yet.");
            default:
                throw TroveFault.BadRequest($"Invalid instance action: {action}.");
        }
    }

}
