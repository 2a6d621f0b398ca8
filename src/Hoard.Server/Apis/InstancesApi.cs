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
using Hoard.Server.TaskManager;
using Hoard.Server.TaskManager.Workflows;
using Hoard.Server.Trove;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Apis;

/// <summary><c>/v1.0/{project_id}/instances</c>: create, list, show, rename, delete, and actions.</summary>
internal static class InstancesApi
{
    private static readonly InstanceTask[] DeletableFrom =
    [
        InstanceTask.None, InstanceTask.Rebooting, InstanceTask.Resizing, InstanceTask.RestartRequired, InstanceTask.Updating,
        InstanceTask.BuildingError, InstanceTask.BuildingErrorTimeout, InstanceTask.RebootingError, InstanceTask.DeletingError,
        InstanceTask.PromotionError, InstanceTask.EjectionError, InstanceTask.DetachingError,
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
        group.MapGet("/{id}/replication_events", ReplicationApi.ListEventsAsync);
        group.MapPut("/{id}/replication", ReplicationApi.SetModeAsync);
    }

    private static async Task<IResult> ListAsync(HttpContext http, InstanceStore instances, CatalogStore catalog,
        HoardOptions options, bool detail, CancellationToken cancellationToken)
    {
        var (limit, marker) = Views.Page(http.Request);
        var page = await instances.ListPageAsync(http.Token().ProjectId, limit, marker, cancellationToken);
        var versions = (await catalog.ListVersionsAsync(cancellationToken)).ToDictionary(v => v.Id);
        var next = Views.NextUrl(http.Request, limit, page.Instances.Count, page.Instances.LastOrDefault()?.Id);
        return Reply.Json(writer => InstanceListView.Write(writer, page, versions, detail, options.BaseUrl, options.Region, next));
    }

    private static async Task<IResult> ShowAsync(HttpContext http, string id, InstanceAccess access, InstanceStore instances,
        CatalogStore catalog, ConfigurationStore configurations, IVolumeProvider volumes, IComputeProvider compute,
        INetworkAccessProvider network, RecoveryWindows recoveryWindows, ReplicationSetStore sets, IWriteEndpointProvider endpoints,
        IOptions<HoardOptions> options, CancellationToken cancellationToken)
    {
        var instance = await access.GetAsync(http, id, cancellationToken);
        var view = await DetailAsync(instance, instances, catalog, configurations, volumes, options.Value, cancellationToken);
        AccessChange.AddEnforcement(view, instance, network);
        view["resources"] = Views.Resources(await compute.DescribeResourceLimitsAsync(instance.Id, cancellationToken));
        await RecoveryWindowApi.AddAsync(view, instance, catalog, recoveryWindows, cancellationToken);
        await ReplicationApi.AddStateAsync(view, instance, instances, sets, endpoints, cancellationToken);
        return Reply.Json(new JsonObject { ["instance"] = view });
    }

    private static async Task<JsonObject> DetailAsync(InstanceRecord instance, InstanceStore instances, CatalogStore catalog,
        ConfigurationStore configurations, IVolumeProvider volumes, HoardOptions options, CancellationToken cancellationToken)
    {
        var version = await catalog.GetVersionAsync(instance.DatastoreVersionId, cancellationToken);
        var fault = await instances.GetLatestFaultAsync(instance.Id, cancellationToken);
        var used = instance.Task is InstanceTask.None or InstanceTask.BackingUp
            ? await volumes.GetUsedBytesAsync(instance.Id, cancellationToken)
            : null;
        var view = Views.InstanceDetail(instance, version, fault, used, options.BaseUrl, options.Region);
        if (instance.Locality is { } locality)
        {
            view["locality"] = locality;
        }

        await ReplicationApi.AddLinksAsync([(instance, view)], instances, options.BaseUrl, cancellationToken);
        if (instance.ConfigurationId is { } configurationId)
        {
            var group = await configurations.GetAsync(configurationId, null, cancellationToken);
            view["configuration"] = new JsonObject
            {
                ["id"] = configurationId,
                ["name"] = group?.Name,
                ["links"] = Views.Links(options.BaseUrl, instance.ProjectId, "configurations", configurationId),
            };
        }

        return view;
    }

    private static async Task<IResult> CreateAsync(HttpContext http, InstanceStore instances, CatalogStore catalog,
        ConfigurationStore configurations, BackupStore backups, RecoveryWindows recoveryWindows, IVolumeProvider volumes,
        INetworkAccessProvider network, WorkflowEngine engine, InstanceAccess instanceAccess, IOptions<HoardOptions> options, TimeProvider time,
        IComputeProvider compute, HostStore hosts, CancellationToken cancellationToken)
    {
        var token = http.Token();
        Policy.RequireWriter(http);
        var spec = Body.Wrapper(await Body.ReadAsync(http.Request, cancellationToken), "instance");
        const string path = "instance";
        var name = Body.NonEmptyName(spec, "name", path);
        foreach (var unsupported in new[] { "nics", "modules", "cluster_config" })
        {
            if (spec[unsupported] is not null)
            {
                throw TroveFault.NotImplemented($"'{unsupported}' is not supported by this Hoard release yet.");
            }
        }

        var locality = LocalityOf(spec, path);

        if (ReplicationApi.IsReplicaRequest(spec))
        {
            var builds = await ReplicationApi.PlanAsync(http, spec, path, name, instanceAccess, catalog, time, cancellationToken);
            var exceededByReplicas = await instances.TryInsertWithinQuotaAsync(builds, QuotasApi.Defaults(options.Value), cancellationToken);
            if (exceededByReplicas.Count > 0)
            {
                throw QuotasApi.Exceeded(exceededByReplicas);
            }

            engine.Poke();
            var first = builds[0].Instance;
            var replicaView = await DetailAsync(first, instances, catalog, configurations, volumes, options.Value, cancellationToken);
            AccessChange.AddEnforcement(replicaView, first, network);
            return Reply.Json(new JsonObject { ["instance"] = replicaView });
        }

        var allowedCidrs = Body.Object(spec, "access", path) is { } access ? AccessChange.Parse(access, path + ".access", network) : null;
        var pointInTime = await PointInTimeRestore.ParseAsync(http, spec, path, instances, catalog, backups, recoveryWindows, cancellationToken);
        var restoreLayers = pointInTime?.Layers ?? await RestorePoint.ParseAsync(http, spec, path, backups, cancellationToken);

        var flavorRef = Body.Reference(spec, "flavorRef", path, required: true)!;
        var flavor = await catalog.GetFlavorAsync(flavorRef, cancellationToken)
                     ?? throw TroveFault.NotFound($"Flavor {flavorRef} could not be found.");

        var volume = Body.Object(spec, "volume", path) ?? throw TroveFault.BadRequest("Volume size unspecified: volume.size is required.");
        var size = Body.PositiveInteger(volume, "size", path + ".volume");
        if (size > options.Value.MaxVolumeSizeGb)
        {
            throw TroveFault.OverLimit($"Volume 'size' cannot exceed maximum of {options.Value.MaxVolumeSizeGb} GB, {size} cannot be accepted.");
        }

        var version = restoreLayers is null
            ? await CatalogApi.ResolveVersionAsync(catalog, Body.Object(spec, "datastore", path), path + ".datastore", cancellationToken)
            : await RestorePoint.VersionAsync(catalog, Body.Object(spec, "datastore", path), path + ".datastore", restoreLayers[^1], cancellationToken);
        if (restoreLayers is not null)
        {
            RestorePoint.CheckFits(restoreLayers, size);
        }
        if (flavor.RamMb < version.Capabilities.MinimumRamMb)
        {
            throw TroveFault.BadRequest($"Flavor {flavor.Name} has {flavor.RamMb} MB of RAM; {version.DatastoreName} needs at least {version.Capabilities.MinimumRamMb} MB.");
        }

        await HostCapacityCheck.RequireSomeHostCanHoldAsync(compute, hosts, flavor, size, cancellationToken);

        var configurationId = Body.Reference(spec, "configuration", path) is { } reference
            ? (await UsableGroupAsync(http, configurations, reference, version, flavor, cancellationToken)).Id
            : null;

        var rules = new DatastoreRules(version.Capabilities);
        // An empty list asks for nothing, so a datastore without databases accepts it.
        var databases = Body.Array(spec, "databases", path) is { Count: > 0 } dbs ? Databases(rules, dbs) : [];
        var users = Body.Array(spec, "users", path) is { } us ? Users(rules, us, databases) : [];
        var zone = Body.String(spec, "availability_zone", path);

        var now = time.GetUtcNow();
        var instance = new InstanceRecord
        {
            Id = Guid.NewGuid().ToString(), ProjectId = token.ProjectId, Name = name, FlavorId = flavor.Id,
            DatastoreVersionId = version.Id, VolumeSize = size, Task = InstanceTask.Building, ServerStatus = ServerStatus.Build,
            ServiceStatus = ServiceStatus.New, Port = version.Capabilities.Port, AvailabilityZone = zone, Created = now, Updated = now,
            ConfigurationId = configurationId, AllowedCidrs = allowedCidrs, Locality = locality,
        };
        var exceeded = await instances.TryInsertWithinQuotaAsync(instance, ProvisionInstanceWorkflow.Create(instance, databases, users, restoreLayers, pointInTime),
            QuotasApi.Defaults(options.Value), cancellationToken);
        if (exceeded.Count > 0)
        {
            throw QuotasApi.Exceeded(exceeded);
        }

        engine.Poke();
        var view = await DetailAsync(instance, instances, catalog, configurations, volumes, options.Value, cancellationToken);
        AccessChange.AddEnforcement(view, instance, network);
        return Reply.Json(new JsonObject { ["instance"] = view });
    }

    /// <summary>
    /// Trove's <c>locality</c>: one of its four values, and only on an instance that is not a replica (replicas are
    /// placed by their source's locality, as in Trove).
    /// </summary>
    private static string? LocalityOf(JsonObject spec, string path)
    {
        if (Body.String(spec, "locality", path) is not { } locality)
        {
            return null;
        }

        if (!Locality.IsValid(locality))
        {
            throw TroveFault.BadRequest($"'{locality}' is not a valid locality; use one of {string.Join(", ", Locality.All)}.");
        }

        if (ReplicationApi.IsReplicaRequest(spec))
        {
            throw TroveFault.BadRequest("Cannot specify locality when adding replicas to existing master: replicas follow their source's locality.");
        }

        return locality;
    }

    /// <summary>A group of the caller's for the instance's datastore version whose memory settings fit the flavor.</summary>
    private static async Task<Core.Configurations.ConfigurationGroup> UsableGroupAsync(HttpContext http, ConfigurationStore configurations,
        string id, DatastoreVersion version, Flavor flavor, CancellationToken cancellationToken)
    {
        var group = await ConfigurationsApi.GetAsync(http, configurations, id, cancellationToken);
        if (group.DatastoreVersionId != version.Id)
        {
            throw TroveFault.BadRequest(
                $"Configuration group {group.Id} is for another datastore version; this instance runs {version.DatastoreName} {version.Name}.");
        }

        new ConfigurationRules(version).CheckFits(group.Values, flavor);
        return group;
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

    private static async Task<IResult> UpdateAsync(HttpContext http, string id, InstanceAccess access, InstanceStore instances,
        CatalogStore catalog, ConfigurationStore configurations, ConfigurationApplier applier, WorkflowEngine engine, TimeProvider time,
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

        if (others.Count == 1 && others[0] is not ("configuration" or "access" or "replica_of" or "slave_of"))
        {
            throw TroveFault.NotImplemented($"Updating '{others[0]}' is not supported by this Hoard release yet.");
        }

        // A new name is checked before anything else changes.
        var name = spec.ContainsKey("name") ? Body.NonEmptyName(spec, "name", "instance") : null;
        if (others is ["replica_of" or "slave_of"])
        {
            // As in Trove, any value detaches.
            await ReplicationApi.BeginDetachAsync(instance, instances, engine, time, cancellationToken);
        }

        if (spec.ContainsKey("access"))
        {
            await AccessChange.BeginAsync(http, instance, spec["access"], cancellationToken);
        }

        // As in Trove, "configuration": null and an empty body both detach.
        var detach = spec.Count == 0 || (spec.ContainsKey("configuration") && spec["configuration"] is null);
        detach = detach && others is not ["replica_of" or "slave_of"];
        var attach = spec.ContainsKey("configuration") && !detach ? Body.Reference(spec, "configuration", "instance") : null;
        if (attach is not null || detach)
        {
            await ChangeConfigurationAsync(http, instance, attach, catalog, configurations, applier, cancellationToken);
        }

        if (name is not null)
        {
            await instances.SetNameAsync(instance.Id, name, cancellationToken);
        }

        return Reply.Accepted();
    }

    /// <summary>Attach (<paramref name="groupId"/>) or detach (null) a configuration group, as Trove checks it.</summary>
    private static async Task ChangeConfigurationAsync(HttpContext http, InstanceRecord instance, string? groupId, CatalogStore catalog,
        ConfigurationStore configurations, ConfigurationApplier applier, CancellationToken cancellationToken)
    {
        if (groupId is not null)
        {
            if (instance.ConfigurationId is not null)
            {
                throw TroveFault.BadRequest(
                    $"Instance {instance.Id} already has configuration group {instance.ConfigurationId} attached; detach it first.");
            }

            var version = await catalog.GetVersionAsync(instance.DatastoreVersionId, cancellationToken)
                          ?? throw TroveFault.NotFound($"Datastore version {instance.DatastoreVersionId} cannot be found.");
            var flavor = await catalog.GetFlavorAsync(instance.FlavorId, cancellationToken)
                         ?? throw TroveFault.NotFound($"Flavor {instance.FlavorId} could not be found.");
            groupId = (await UsableGroupAsync(http, configurations, groupId, version, flavor, cancellationToken)).Id;
        }
        else if (instance.ConfigurationId is null)
        {
            return; // Nothing attached: detaching changes nothing.
        }

        if (instance.ServerStatus != ServerStatus.Active || !ConfigurationApplier.StartableFrom.Contains(instance.Task) ||
            !await applier.TryAttachAsync(instance, groupId, cancellationToken))
        {
            throw TroveFault.BadRequest(
                $"Instance {instance.Id} cannot change its configuration now (status was {InstanceStatusView.Status(instance.Task, instance.ServerStatus)}).");
        }
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

        await ReplicationApi.RefuseDeletingSourceAsync(instance, instances, cancellationToken);

        // BUILD is refused as Trove refuses it; an admin's reset_status (the client's force delete) ends the build first.
        if (!await instances.TryBeginDeleteAsync(instance.Id, DeleteInstanceWorkflow.Create(instance.Id, time.GetUtcNow()),
                DeletableFrom, cancellationToken))
        {
            throw InstanceAccess.NotAvailable(instance);
        }

        engine.Poke();
        return Reply.Accepted();
    }

    private static async Task<IResult> ActionAsync(HttpContext http, string id, InstanceAccess access, InstanceStore instances,
        WorkflowEngine engine, IOptions<HoardOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var token = http.Token();
        Policy.RequireWriter(http);
        var body = await Body.ReadAsync(http.Request, cancellationToken);
        if (body.ContainsKey("reset_status") && !token.IsAdmin)
        {
            // Admin-only whichever instance is named, so a refusal tells nothing about whether it exists.
            throw TroveFault.Unauthorized("User does not have admin privileges.");
        }

        var instance = await access.GetAsync(http, id, cancellationToken);
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

                // troveclient's force delete may send {"force_delete": true}: the same reset, then its DELETE.
                if (body[action] is JsonObject reset)
                {
                    Body.OnlyKeys(reset, "reset_status", "force_delete");
                    Body.Boolean(reset, "force_delete", "reset_status");
                }
                else if (body[action] is not null)
                {
                    throw TroveFault.BadRequest("reset_status must be an object.");
                }

                await instances.ResetStatusAsync(instance.Id, cancellationToken);
                return Reply.Accepted();
            case "resize":
                InstanceAccess.RequireAvailable(instance);
                await ResizeAction.BeginAsync(http, instance, body[action], cancellationToken);
                return Reply.Accepted();
            case "promote_to_replica_source":
                await ReplicationApi.BeginPromoteAsync(instance, instances, engine, time, cancellationToken);
                return Reply.Accepted();
            case "eject_replica_source":
                await ReplicationApi.BeginEjectAsync(instance, instances, engine, options.Value, time, cancellationToken);
                return Reply.Accepted();
            default:
                throw TroveFault.BadRequest($"Invalid instance action: {action}.");
        }
    }

}
