using System.Text.Json.Nodes;
using Hoard.Contracts.Guest;
using Hoard.Core.Catalog;
using Hoard.Core.Compute;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Hoard.Server.Identity;
using Hoard.Server.TaskManager.Replication;
using Hoard.Server.TaskManager.Workflows;
using Hoard.Server.Trove;

namespace Hoard.Server.Apis;

/// <summary>
/// Replicas as Trove has them: create with <c>replica_of</c> (and <c>replica_count</c>), <c>replica_of</c> and
/// <c>replicas</c> in the views, detach (<c>PUT</c> with <c>replica_of</c>), <c>promote_to_replica_source</c> and
/// <c>eject_replica_source</c>; and Hoard's <c>replication</c> field in <c>show</c> (role, position, lag).
/// </summary>
internal static class ReplicationApi
{
    public const int MaxReplicaCount = 3;

    /// <summary>What a replica takes from its source and so may not be given.</summary>
    private static readonly string[] TakenFromSource = ["flavorRef", "volume", "datastore", "databases", "users", "restorePoint"];

    public static bool IsReplicaRequest(JsonObject spec) => spec["replica_of"] is not null || spec["replica_count"] is not null;

    /// <summary>
    /// The replicas a create asks for, as instance records not yet stored (named <c>name-1</c>, <c>name-2</c>, … when more
    /// than one), each with its build, all for the one source.
    /// </summary>
    public static async Task<IReadOnlyList<(InstanceRecord Instance, WorkflowRecord Workflow)>> PlanAsync(HttpContext http, JsonObject spec,
        string path, string name, InstanceAccess access, CatalogStore catalog, TimeProvider time, CancellationToken cancellationToken)
    {
        var sourceId = Body.Reference(spec, "replica_of", path)
                       ?? throw TroveFault.BadRequest("replica_count is only valid together with replica_of.");
        var count = spec["replica_count"] is null ? 1 : Body.PositiveInteger(spec, "replica_count", path);
        if (count > MaxReplicaCount)
            throw TroveFault.BadRequest($"replica_count must be between 1 and {MaxReplicaCount}; {count} cannot be accepted.");
        if (TakenFromSource.FirstOrDefault(key => spec[key] is not null) is { } given)
            throw TroveFault.BadRequest($"'{given}' cannot be given for a replica: a replica takes its source's flavor, volume size, datastore, databases and users.");

        var source = await access.GetAsync(http, sourceId, cancellationToken);
        if (source.ReplicaOf is not null)
            throw TroveFault.Unauthorized($"Cannot create a replica of a replica {source.Id}: make it a replica of {source.ReplicaOf} instead.");
        var version = await catalog.GetVersionAsync(source.DatastoreVersionId, cancellationToken)
                      ?? throw TroveFault.NotFound($"Datastore version {source.DatastoreVersionId} cannot be found.");
        var seed = version.Capabilities.ReplicaSeed
                   ?? throw TroveFault.NotImplemented($"Replication is not supported for datastore {version.DatastoreName} {version.Name}.");
        InstanceAccess.RequireServing(source);

        var now = time.GetUtcNow();
        var snapshotId = seed == ReplicaSeeds.Backup ? Guid.NewGuid().ToString() : null;
        var builds = new List<(InstanceRecord, WorkflowRecord)>();
        for (var n = 1; n <= count; n++)
        {
            var replica = new InstanceRecord
            {
                Id = Guid.NewGuid().ToString(), ProjectId = source.ProjectId, Name = count == 1 ? name : $"{name}-{n}",
                FlavorId = source.FlavorId, DatastoreVersionId = source.DatastoreVersionId, VolumeSize = source.VolumeSize,
                Task = InstanceTask.Building, ServerStatus = ServerStatus.Build, ServiceStatus = ServiceStatus.New, Port = source.Port,
                AvailabilityZone = source.AvailabilityZone, Created = now, Updated = now, ConfigurationId = source.ConfigurationId,
                AllowedCidrs = source.AllowedCidrs, ReplicaOf = source.Id, Locality = source.Locality,
            };
            builds.Add((replica, ProvisionInstanceWorkflow.Create(replica, [], [], replicaSnapshotId: snapshotId)));
        }

        return builds;
    }

    /// <summary>Trove's <c>replica_of</c> (on a replica) and <c>replicas</c> (on a source), for views of a page of instances.</summary>
    public static async Task AddLinksAsync(IReadOnlyList<(InstanceRecord Instance, JsonObject View)> page, InstanceStore instances,
        string baseUrl, CancellationToken cancellationToken)
    {
        AddLinks(page, await instances.ListReplicasOfAsync([.. page.Select(p => p.Instance.Id)], cancellationToken), baseUrl);
    }

    /// <summary>The same with each instance's replicas already read (what <c>InstanceListView</c> writes for a list page).</summary>
    public static void AddLinks(IReadOnlyList<(InstanceRecord Instance, JsonObject View)> page,
        IReadOnlyDictionary<string, IReadOnlyList<string>> replicas, string baseUrl)
    {
        foreach (var (instance, view) in page)
        {
            // Trove's clients break on "replica_of": null; the keys are left out when they do not apply.
            if (instance.ReplicaOf is { } sourceId)
                view["replica_of"] = Link(baseUrl, instance.ProjectId, sourceId);
            if (replicas.TryGetValue(instance.Id, out var ids) && ids.Count > 0)
                view["replicas"] = new JsonArray([.. ids.Select(id => (JsonNode)Link(baseUrl, instance.ProjectId, id))]);
        }
    }

    /// <summary>
    /// Hoard's <c>replication</c> field: the role the guest reports, its position, and for a replica whether it streams,
    /// its lag in seconds and how far behind its source's last reported position it is (in the datastore's units:
    /// transactions for MariaDB, bytes of WAL for PostgreSQL, bytes of replication stream for Redis).
    /// </summary>
    public static async Task AddStateAsync(JsonObject view, InstanceRecord instance, InstanceStore instances, ReplicationSetStore sets,
        IWriteEndpointProvider endpoints, CancellationToken cancellationToken)
    {
        var report = ReplicationSets.LastReport(instance);
        if (report is null && instance.ReplicationSet is null)
            return;
        var state = new JsonObject();
        if (report is not null)
        {
            state["role"] = report.Role;
            state["position"] = report.PositionText;
            state["read_only"] = report.ReadOnly;
            state["updated"] = instance.ReplicationUpdated is { } updated ? Views.Time(updated) : null;
        }

        if (instance.ReplicaOf is { } sourceId && report is not null)
        {
            state["streaming"] = report.Streaming;
            state["lag_seconds"] = report.LagSeconds;
            if (await instances.GetAsync(sourceId, cancellationToken) is { } source && ReplicationSets.LastReport(source) is { } sourceReport)
                state["behind_source"] = Math.Max(0, sourceReport.Position - report.Position);
            if (report.Error is { } error)
                state["error"] = error;
        }

        if (instance.ReplicationSet is { } setId && await sets.GetEndpointAsync(setId, cancellationToken) is { } endpoint)
        {
            state["set"] = setId;
            state["synchronous"] = await sets.IsSynchronousAsync(setId, cancellationToken);
            state["endpoint"] = endpoints.UnavailableReason is { } why
                ? new JsonObject { ["enforced_by"] = endpoints.Name, ["reason"] = why }
                : new JsonObject
                {
                    ["address"] = endpoints.Address, ["port"] = endpoint.Port, ["enforced_by"] = endpoints.Name, ["source"] = endpoint.SourceId,
                };
        }

        view["replication"] = state;
    }

    /// <summary>Hoard's <c>GET /instances/{id}/replication_events</c>: the switchovers, ejects and failovers of the instance's set, newest first.</summary>
    public static async Task<IResult> ListEventsAsync(HttpContext http, string id, InstanceAccess access, ReplicationSetStore sets,
        CancellationToken cancellationToken)
    {
        var instance = await access.GetAsync(http, id, cancellationToken);
        var events = instance.ReplicationSet is { } setId ? await sets.ListEventsAsync(setId, 100, cancellationToken) : [];
        return Reply.Json(new JsonObject
        {
            ["replication_events"] = new JsonArray([.. events.Select(e => (JsonNode)new JsonObject
            {
                ["id"] = e.Id, ["kind"] = e.Kind, ["old_source"] = e.OldSource, ["new_source"] = e.NewSource, ["reason"] = e.Reason,
                ["detected"] = Precise(e.Detected), ["started"] = Precise(e.Started), ["fenced"] = Precise(e.Fenced),
                ["promoted"] = Precise(e.Promoted), ["finished"] = Precise(e.Finished), ["outcome"] = e.Outcome, ["details"] = e.Details,
                ["downtime_seconds"] = e.Detected is { } d && e.Promoted is { } p ? Math.Round((p - d).TotalSeconds, 3) : null,
            })]),
        });
    }

    private static string? Precise(DateTimeOffset? t) => t?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Trove's detach (<c>PUT</c> with <c>replica_of</c> or <c>slave_of</c>): the replica becomes a standalone instance.</summary>
    public static async Task BeginDetachAsync(InstanceRecord instance, InstanceStore instances, WorkflowEngine engine, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (instance.ReplicaOf is null)
            throw TroveFault.BadRequest($"Instance {instance.Id} is not a replica.");
        InstanceAccess.RequireAvailable(instance);
        if (!await instances.TryBeginAsync(instance.Id, InstanceTask.Detaching, DetachReplicaWorkflow.Create(instance, time.GetUtcNow()),
                [InstanceTask.None, InstanceTask.RestartRequired], cancellationToken))
            throw InstanceAccess.NotAvailable(instance);
        engine.Poke();
    }

    /// <summary>A planned switchover: every member of the set must be available and the source must answer.</summary>
    public static async Task BeginPromoteAsync(InstanceRecord replica, InstanceStore instances, WorkflowEngine engine, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (replica.ReplicaOf is not { } sourceId)
            throw TroveFault.BadRequest($"Instance {replica.Id} is not a replica: only a replica can be promoted to replica source.");
        InstanceAccess.RequireServing(replica);
        var source = await instances.GetAsync(sourceId, cancellationToken)
                     ?? throw TroveFault.BadRequest($"The source {sourceId} of replica {replica.Id} no longer exists; detach the replica instead.");
        if (source.ServiceStatus is not (ServiceStatus.Healthy or ServiceStatus.Running))
            throw TroveFault.BadRequest($"The source {source.Id} is not serving (status {InstanceStatusView.Status(source.Task, source.ServerStatus)}, " +
                                        $"service {InstanceStatusView.ServiceApiName(source.ServiceStatus)}): a switchover needs it; use eject_replica_source.");
        InstanceAccess.RequireAvailable(source);
        var others = (await instances.ListReplicasAsync(sourceId, cancellationToken)).Where(r => r.Id != replica.Id).ToList();
        foreach (var other in others)
            InstanceAccess.RequireAvailable(other);
        if (!await instances.TryBeginSetAsync(PromoteReplicaWorkflow.Members(replica, others), InstanceTask.Promoting,
                PromoteReplicaWorkflow.Create(replica, others, time.GetUtcNow()), [InstanceTask.None, InstanceTask.RestartRequired], cancellationToken))
            throw TroveFault.Unprocessable($"The replication set of instance {replica.Id} changed or is busy; try again.");
        engine.Poke();
    }

    /// <summary>
    /// Trove's eject: only for a source that has replicas and has been silent for longer than the heartbeat expiry
    /// (a live source is switched over with promote_to_replica_source instead).
    /// </summary>
    public static async Task BeginEjectAsync(InstanceRecord source, InstanceStore instances, WorkflowEngine engine, HoardOptions options,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var replicas = await instances.ListReplicasAsync(source.Id, cancellationToken);
        if (source.ReplicaOf is not null || replicas.Count == 0)
            throw TroveFault.BadRequest($"Instance {source.Id} is not a replica source.");
        var silence = time.GetUtcNow() - (source.ServiceStatusUpdated ?? source.Created);
        if (silence.TotalSeconds < options.HeartbeatExpirySeconds && source.ServiceStatus != ServiceStatus.Shutdown)
            throw TroveFault.BadRequest($"Replica source {source.Id} cannot be ejected: it reported {silence.TotalSeconds:0} s ago, within the " +
                                        $"heartbeat expiry of {options.HeartbeatExpirySeconds:0} s. Use promote_to_replica_source for a planned switchover.");
        if (source.Task != InstanceTask.None || replicas.Any(r => r.Task != InstanceTask.None || r.ServerStatus != ServerStatus.Active))
            throw InstanceAccess.NotAvailable(source);
        if (!await instances.TryBeginSetAsync([source.Id, .. replicas.Select(r => r.Id)], InstanceTask.Ejecting,
                EjectSourceWorkflow.Create(source, replicas, time.GetUtcNow(), automatic: false,
                    $"eject_replica_source requested; the source last reported {silence.TotalSeconds:0} s before"), [InstanceTask.None], cancellationToken))
            throw TroveFault.Unprocessable($"The replication set of instance {source.Id} changed or is busy; try again.");
        engine.Poke();
    }

    /// <summary>
    /// Hoard's <c>PUT /instances/{id}/replication</c> with <c>{"replication": {"synchronous": true|false}}</c>, on any
    /// member of a set: the set's commits wait for a replica (or no longer do). Redis has no synchronous replication.
    /// </summary>
    public static async Task<IResult> SetModeAsync(HttpContext http, string id, InstanceAccess access, InstanceStore instances, CatalogStore catalog,
        WorkflowEngine engine, TimeProvider time, CancellationToken cancellationToken)
    {
        Policy.RequireWriter(http);
        var member = await access.GetAsync(http, id, cancellationToken);
        var spec = Body.Wrapper(await Body.ReadAsync(http.Request, cancellationToken), "replication");
        Body.OnlyKeys(spec, "replication", "synchronous");
        var synchronous = Body.Boolean(spec, "synchronous", "replication") ?? throw TroveFault.BadRequest("replication.synchronous (true or false) is required.");
        var source = member.ReplicaOf is { } sourceId ? await instances.GetAsync(sourceId, cancellationToken) ?? member : member;
        var replicas = await instances.ListReplicasAsync(source.Id, cancellationToken);
        if (replicas.Count == 0)
            throw TroveFault.BadRequest($"Instance {id} has no replicas: its replication mode has nothing to apply to.");
        if (source.ReplicationSet is null || replicas.Any(r => r.ReplicationSet is null))
            throw TroveFault.Unprocessable($"The replication set of instance {id} is still being built; try again once its replicas are ACTIVE.");
        var version = await catalog.GetVersionAsync(source.DatastoreVersionId, cancellationToken);
        if (version?.DatastoreName == "redis" && synchronous)
            throw TroveFault.BadRequest("Redis has no synchronous replication (its replicas acknowledge asynchronously).");
        InstanceAccess.RequireAvailable(source);
        foreach (var replica in replicas)
            InstanceAccess.RequireAvailable(replica);
        if (!await instances.TryBeginSetAsync([source.Id, .. replicas.Select(r => r.Id)], InstanceTask.Updating,
                SetReplicationModeWorkflow.Create(source, replicas, synchronous, time.GetUtcNow()), [InstanceTask.None], cancellationToken))
            throw TroveFault.Unprocessable($"The replication set of instance {id} changed or is busy; try again.");
        engine.Poke();
        return Reply.Accepted();
    }

    /// <summary>Trove's ReplicaSourceDeleteForbidden.</summary>
    public static async Task RefuseDeletingSourceAsync(InstanceRecord instance, InstanceStore instances, CancellationToken cancellationToken)
    {
        var replicas = await instances.ListReplicasAsync(instance.Id, cancellationToken);
        if (replicas.Count > 0)
            throw TroveFault.Forbidden($"Instance {instance.Id} is the source of {replicas.Count} replica(s) ({string.Join(", ", replicas.Select(r => r.Id))}): " +
                                       "the replica source cannot be deleted without detaching the replicas.");
    }

    /// <summary>
    /// Users, databases and root change on the source and replicate from there: a change made on a replica would diverge
    /// from its source (and, for MariaDB, stop replication). Reads are allowed.
    /// </summary>
    public static RouteGroupBuilder RefuseChangesOnReplicas(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (!HttpMethods.IsGet(http.Request.Method) && http.Request.RouteValues["id"] is string id &&
                await http.RequestServices.GetRequiredService<InstanceStore>().GetAsync(id, http.RequestAborted) is { ReplicaOf: { } sourceId } replica &&
                replica.ProjectId == http.Token().ProjectId)
            {
                throw TroveFault.BadRequest($"Instance {id} is a read-only replica of {sourceId}: make this change on the source, and it replicates.");
            }

            return await next(context);
        });
        return group;
    }

    private static JsonObject Link(string baseUrl, string projectId, string id) =>
        new() { ["id"] = id, ["links"] = Views.Links(baseUrl, projectId, "instances", id) };
}
