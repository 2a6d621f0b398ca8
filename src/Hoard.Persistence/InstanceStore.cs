using System.Data.Common;
using Dapper;
using Hoard.Contracts.Guest;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;

namespace Hoard.Persistence;

public sealed class InstanceStore(StateDb db, TimeProvider time)
{
    private const string Columns =
        "id, project_id, name, flavor_id, datastore_version_id, volume_size, task, server_status, service_status, " +
        "service_status_updated, address, port, bus_secret_hash, availability_zone, created, updated, deleted, deleted_at, " +
        "configuration_id, configuration_applied, allowed_cidrs, replica_of, replication, replication_updated, last_healthy, replication_set, host, locality";

    /// <summary>Insert an instance and the workflow that builds it, atomically.</summary>
    public async Task InsertAsync(InstanceRecord instance, WorkflowRecord workflow, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await InsertRowsAsync(connection, tx, instance, workflow);
        await tx.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Insert an instance and the workflow that builds it if the project's quotas leave room for it. The check and the
    /// insert share one write transaction that holds the project's quota lock (SQLite: BEGIN IMMEDIATE takes the write
    /// lock first; PostgreSQL: an advisory lock per project), so two concurrent creates cannot both take the last slot.
    /// </summary>
    /// <returns>The resources the instance would exceed (then nothing was inserted); empty when it was inserted.</returns>
    public Task<IReadOnlyList<string>> TryInsertWithinQuotaAsync(InstanceRecord instance, WorkflowRecord workflow,
        IReadOnlyDictionary<string, int> defaultLimits, CancellationToken cancellationToken) =>
        TryInsertWithinQuotaAsync([(instance, workflow)], defaultLimits, cancellationToken);

    /// <summary>Several instances (replicas of one request) all within quota, or none.</summary>
    public async Task<IReadOnlyList<string>> TryInsertWithinQuotaAsync(IReadOnlyList<(InstanceRecord Instance, WorkflowRecord Workflow)> builds,
        IReadOnlyDictionary<string, int> defaultLimits, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var projectId = builds[0].Instance.ProjectId;
        await db.LockAsync(connection, tx, QuotaStore.LockKey(projectId), cancellationToken);
        var limits = await QuotaStore.LimitsAsync(connection, tx, projectId, defaultLimits);
        var usage = await QuotaStore.UsageAsync(connection, tx, projectId);
        long ramMb = 0, volumes = 0;
        foreach (var (instance, _) in builds)
        {
            ramMb += await connection.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(ram_mb), 0) FROM flavors WHERE id = @FlavorId",
                new { instance.FlavorId }, tx);
            volumes += instance.VolumeSize;
        }

        var exceeded = QuotaStore.Exceeded(limits, usage, new Dictionary<string, long>
        {
            [QuotaStore.Instances] = builds.Count, [QuotaStore.Ram] = ramMb, [QuotaStore.Volumes] = volumes,
        });
        if (exceeded.Count > 0)
        {
            return exceeded;
        }

        foreach (var (instance, workflow) in builds)
            await InsertRowsAsync(connection, tx, instance, workflow);
        await tx.CommitAsync(cancellationToken);
        return [];
    }

    private static async Task InsertRowsAsync(DbConnection connection, DbTransaction tx, InstanceRecord instance, WorkflowRecord workflow)
    {
        await connection.ExecuteAsync(
            $"INSERT INTO instances ({Columns}) VALUES (@Id, @ProjectId, @Name, @FlavorId, @DatastoreVersionId, @VolumeSize, " +
            "@Task, @ServerStatus, @ServiceStatus, @ServiceStatusUpdated, @Address, @Port, @BusSecretHash, @AvailabilityZone, " +
            "@Created, @Updated, 0, NULL, @ConfigurationId, NULL, @AllowedCidrs, @ReplicaOf, NULL, NULL, NULL, @ReplicationSet, NULL, @Locality)", Params(instance), tx);
        await WorkflowStore.InsertAsync(connection, tx, workflow);
    }

    public async Task<InstanceRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<InstanceRecord>(
            $"SELECT {Columns} FROM instances WHERE id = @id AND deleted = 0", new { id });
    }

    /// <summary>A project's live instances, newest first, starting after <paramref name="marker"/>.</summary>
    public async Task<IReadOnlyList<InstanceRecord>> ListAsync(string? projectId, int limit, string? marker, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<InstanceRecord>($"SELECT {Columns} FROM instances {PageWhere(projectId, marker)} {PageOrder}",
            new { projectId, marker, limit })];
    }

    /// <summary>
    /// <see cref="ListAsync"/>'s page of one project and the live replicas of its instances, in one command: the second
    /// statement finds the page again by the same index instead of binding its ids (an API list used to open three
    /// connections for this, one of them for a statement of one parameter per instance).
    /// </summary>
    public async Task<InstancePage> ListPageAsync(string projectId, int limit, string? marker, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var where = PageWhere(projectId, marker);
        await using var reader = await connection.ExecuteReaderAsync(
            $"SELECT {Columns} FROM instances {where} {PageOrder}; " +
            $"SELECT id, replica_of FROM instances WHERE deleted = 0 AND replica_of IN (SELECT id FROM instances {where} {PageOrder}) " +
            "ORDER BY created, id",
            new { projectId, marker, limit });
        var read = reader.GetRowParser<InstanceRecord>();
        var page = new List<InstanceRecord>();
        while (await reader.ReadAsync(cancellationToken))
            page.Add(read(reader));
        var replicas = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (await reader.NextResultAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var sourceId = reader.GetString(1);
                replicas[sourceId] = [.. replicas.GetValueOrDefault(sourceId) ?? [], reader.GetString(0)];
            }
        }

        return new InstancePage(page, replicas);
    }

    private const string PageOrder = "ORDER BY created DESC, id DESC LIMIT @limit";

    private static string PageWhere(string? projectId, string? marker) =>
        "WHERE deleted = 0" +
        (projectId is null ? "" : " AND project_id = @projectId") +
        (marker is null ? "" : " AND (created, id) < (SELECT created, id FROM instances WHERE id = @marker)");

    /// <summary>Instances that show a task in progress although no workflow is running for them.</summary>
    public async Task<IReadOnlyList<InstanceRecord>> ListOrphanedTasksAsync(DateTimeOffset unchangedSince, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<InstanceRecord>(
            $"SELECT {Columns} FROM instances WHERE deleted = 0 AND task IN ('Building', 'Deleting', 'Rebooting', 'Resizing', 'Updating', 'BackingUp') " +
            "AND updated < @cutoff AND NOT EXISTS (SELECT 1 FROM workflows w WHERE w.instance_id = instances.id AND w.status = 'RUNNING')",
            new { cutoff = Ts.Of(unchangedSince) })];
    }

    public async Task<int> CountAsync(string projectId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int>(
            "SELECT COUNT(*) FROM instances WHERE project_id = @projectId AND deleted = 0", new { projectId });
    }

    public async Task<bool> NameTakenAsync(string projectId, string name, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int>(
            "SELECT COUNT(*) FROM instances WHERE project_id = @projectId AND name = @name AND deleted = 0",
            new { projectId, name }) > 0;
    }

    public Task SetTaskAsync(string id, InstanceTask task, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE instances SET task = @task, updated = @now WHERE id = @id",
            new { id, task = task.ToString(), now = Ts.Of(time.GetUtcNow()) }, cancellationToken);

    /// <summary>Leave <paramref name="expected"/> for <paramref name="task"/>; false when another action took over meanwhile.</summary>
    public async Task<bool> TrySetTaskAsync(string id, InstanceTask expected, InstanceTask task, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync("UPDATE instances SET task = @task, updated = @now WHERE id = @id AND task = @expected",
            new { id, task = task.ToString(), expected = expected.ToString(), now = Ts.Of(time.GetUtcNow()) }) > 0;
    }

    public Task SetServerStatusAsync(string id, ServerStatus status, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE instances SET server_status = @status, updated = @now WHERE id = @id",
            new { id, status = status.ToString(), now = Ts.Of(time.GetUtcNow()) }, cancellationToken);

    public Task SetServiceStatusAsync(string id, ServiceStatus status, DateTimeOffset reported, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE instances SET service_status = @status, service_status_updated = @reported WHERE id = @id",
            new { id, status = status.ToString(), reported = Ts.Of(reported) }, cancellationToken);

    /// <summary>
    /// A heartbeat: the service status and the replication state (null for a standalone instance), as of
    /// <paramref name="reported"/>. Written without waiting for the disk (<see cref="StateDb.OpenForReportsAsync"/>): the next
    /// one follows within seconds.
    /// </summary>
    public async Task RecordHeartbeatAsync(string id, ServiceStatus status, string? replication, DateTimeOffset reported, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenForReportsAsync(cancellationToken);
        await connection.ExecuteAsync("UPDATE instances SET service_status = @status, service_status_updated = @reported, replication = @replication, " +
                                      "replication_updated = CASE WHEN @replication IS NULL THEN NULL ELSE @reported END, " +
                                      "last_healthy = CASE WHEN @serving THEN @reported ELSE last_healthy END WHERE id = @id",
            new { id, status = status.ToString(), reported = Ts.Of(reported), replication, serving = status is ServiceStatus.Healthy or ServiceStatus.Running });
    }

    /// <summary>The live replicas of <paramref name="sourceId"/>, oldest first.</summary>
    public async Task<IReadOnlyList<InstanceRecord>> ListReplicasAsync(string sourceId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<InstanceRecord>(
            $"SELECT {Columns} FROM instances WHERE deleted = 0 AND replica_of = @sourceId ORDER BY created, id", new { sourceId })];
    }

    /// <summary>The live replicas of each of <paramref name="sourceIds"/> (ids, oldest first); sources without replicas are absent.</summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> ListReplicasOfAsync(IReadOnlyCollection<string> sourceIds,
        CancellationToken cancellationToken)
    {
        if (sourceIds.Count == 0)
            return new Dictionary<string, IReadOnlyList<string>>();
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Id, string ReplicaOf)>(
            $"SELECT id, replica_of FROM instances WHERE deleted = 0 AND {db.In("replica_of", "sourceIds")} ORDER BY created, id",
            new { sourceIds = sourceIds.ToArray() });
        return rows.GroupBy(r => r.ReplicaOf).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. g.Select(r => r.Id)]);
    }

    /// <summary>Make <paramref name="id"/> follow <paramref name="sourceId"/> (null: a standalone instance or a source).</summary>
    public Task SetReplicaOfAsync(string id, string? sourceId, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE instances SET replica_of = @sourceId, updated = @now WHERE id = @id",
            new { id, sourceId, now = Ts.Of(time.GetUtcNow()) }, cancellationToken);

    /// <summary>
    /// Start a workflow that acts on a whole replication set: every member leaves <paramref name="allowedFrom"/> for
    /// <paramref name="task"/> in one transaction, or none does (false) when any of them is busy or gone.
    /// </summary>
    public async Task<bool> TryBeginSetAsync(IReadOnlyCollection<string> memberIds, InstanceTask task, WorkflowRecord workflow,
        IReadOnlyCollection<InstanceTask> allowedFrom, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var changed = await connection.ExecuteAsync(
            $"UPDATE instances SET task = @task, updated = @now WHERE {db.In("id", "memberIds")} AND deleted = 0 AND {db.In("task", "allowed")}",
            new { memberIds = memberIds.ToArray(), task = task.ToString(), now = Ts.Of(time.GetUtcNow()), allowed = allowedFrom.Select(t => t.ToString()).ToArray() }, tx);
        if (changed != memberIds.Count)
        {
            await tx.RollbackAsync(cancellationToken);
            return false;
        }

        await WorkflowStore.InsertAsync(connection, tx, workflow);
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// <paramref name="newSourceId"/> is its set's source from now on and <paramref name="oldSourceId"/> follows it, in one
    /// transaction: the set's write endpoint never sees two sources, or none, because of this change.
    /// </summary>
    public async Task SwapSourceAsync(string newSourceId, string oldSourceId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var now = Ts.Of(time.GetUtcNow());
        await connection.ExecuteAsync("UPDATE instances SET replica_of = NULL, updated = @now WHERE id = @newSourceId", new { newSourceId, now }, tx);
        await connection.ExecuteAsync("UPDATE instances SET replica_of = @newSourceId, updated = @now WHERE id = @oldSourceId",
            new { newSourceId, oldSourceId, now }, tx);
        await tx.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// An instance about to be rebuilt in place (a replaced source): nothing its old guest reported counts any more
    /// (the build waits for the new guest's own reports), and it has no address until the build allocates one.
    /// </summary>
    public Task ResetForRebuildAsync(string id, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE instances SET server_status = 'Build', service_status = 'New', service_status_updated = NULL, replication = NULL, " +
                     "replication_updated = NULL, last_healthy = NULL, address = NULL, updated = @now WHERE id = @id",
            new { id, now = Ts.Of(time.GetUtcNow()) }, cancellationToken);

    /// <summary>Live sources with replicas (for automatic failover).</summary>
    public async Task<IReadOnlyList<InstanceRecord>> ListSourcesWithReplicasAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<InstanceRecord>(
            $"SELECT {Columns} FROM instances s WHERE deleted = 0 AND replica_of IS NULL " +
            "AND EXISTS (SELECT 1 FROM instances r WHERE r.replica_of = s.id AND r.deleted = 0)")];
    }

    /// <summary>
    /// End a set-wide task: each member still in <paramref name="expected"/> gets <paramref name="task"/>, and its source
    /// as <paramref name="replicaOf"/> says (a member not in it keeps its own), in one transaction.
    /// </summary>
    public async Task FinishSetAsync(IReadOnlyCollection<string> memberIds, InstanceTask expected, InstanceTask task,
        IReadOnlyDictionary<string, string?>? replicaOf, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var now = Ts.Of(time.GetUtcNow());
        foreach (var (id, source) in replicaOf ?? new Dictionary<string, string?>())
        {
            await connection.ExecuteAsync("UPDATE instances SET replica_of = @source, updated = @now WHERE id = @id AND deleted = 0",
                new { id, source, now }, tx);
        }

        await connection.ExecuteAsync($"UPDATE instances SET task = @task, updated = @now WHERE {db.In("id", "memberIds")} AND task = @expected",
            new { memberIds = memberIds.ToArray(), task = task.ToString(), expected = expected.ToString(), now }, tx);
        await tx.CommitAsync(cancellationToken);
    }

    public Task SetNameAsync(string id, string name, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE instances SET name = @name, updated = @now WHERE id = @id",
            new { id, name, now = Ts.Of(time.GetUtcNow()) }, cancellationToken);

    public Task SetAddressAsync(string id, string address, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE instances SET address = @address, updated = @now WHERE id = @id",
            new { id, address, now = Ts.Of(time.GetUtcNow()) }, cancellationToken);

    /// <summary>
    /// Attach (or, with null, detach) a configuration group and start the workflow that applies it, if the instance
    /// is in one of <paramref name="allowedFrom"/> and still has <paramref name="expectedConfigurationId"/>, and the group
    /// has not been deleted meanwhile.
    /// </summary>
    public async Task<bool> TryBeginConfigurationAsync(string id, string? expectedConfigurationId, string? configurationId,
        WorkflowRecord workflow, IReadOnlyCollection<InstanceTask> allowedFrom, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        if (configurationId is not null)
        {
            await db.LockAsync(connection, tx, ConfigurationStore.LockKey(configurationId), cancellationToken);
        }

        var allowed = allowedFrom.Select(t => t.ToString()).ToArray();
        var changed = await connection.ExecuteAsync(
            "UPDATE instances SET task = @task, configuration_id = @configurationId, updated = @now WHERE id = @id AND deleted = 0 " +
            $"AND {db.In("task", "allowed")} AND configuration_id IS NOT DISTINCT FROM @expectedConfigurationId " +
            "AND (@configurationId IS NULL OR EXISTS (SELECT 1 FROM configurations c WHERE c.id = @configurationId AND c.deleted = 0))",
            new
            {
                id, task = nameof(InstanceTask.Updating), configurationId, expectedConfigurationId, allowed,
                now = Ts.Of(time.GetUtcNow()),
            }, tx);
        if (changed == 0)
        {
            return false;
        }

        await WorkflowStore.InsertAsync(connection, tx, workflow);
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Put back the group an attach replaced, unless something changed it since.</summary>
    public async Task<bool> TrySetConfigurationAsync(string id, InstanceTask task, string? expectedConfigurationId,
        string? configurationId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(
            "UPDATE instances SET configuration_id = @configurationId, updated = @now WHERE id = @id AND deleted = 0 " +
            "AND task = @task AND configuration_id IS NOT DISTINCT FROM @expectedConfigurationId",
            new { id, task = task.ToString(), expectedConfigurationId, configurationId, now = Ts.Of(time.GetUtcNow()) }) > 0;
    }

    /// <summary>Record what the guest confirmed and end the task, unless another action took over meanwhile.</summary>
    public async Task<bool> TryFinishConfigurationAsync(string id, InstanceTask expected, InstanceTask task, string applied,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(
            "UPDATE instances SET task = @task, configuration_applied = @applied, updated = @now WHERE id = @id AND task = @expected",
            new { id, task = task.ToString(), expected = expected.ToString(), applied, now = Ts.Of(time.GetUtcNow()) }) > 0;
    }

    public Task SetConfigurationAppliedAsync(string id, string applied, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE instances SET configuration_applied = @applied WHERE id = @id", new { id, applied }, cancellationToken);

    /// <summary>Live instances with a group attached or a group's overrides still applied, for the reconciler.</summary>
    public async Task<IReadOnlyList<InstanceRecord>> ListConfiguredAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<InstanceRecord>(
            $"SELECT {Columns} FROM instances WHERE deleted = 0 AND (configuration_id IS NOT NULL OR " +
            "(configuration_applied IS NOT NULL AND configuration_applied <> ''))")];
    }

    public Task SetBusSecretHashAsync(string id, string hash, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE instances SET bus_secret_hash = @hash WHERE id = @id", new { id, hash }, cancellationToken);

    /// <summary>
    /// Trove's reset_status: no task in progress, service status unknown, running workflows abandoned, running backups
    /// FAILED (their partial data is removed by the upload that still writes it, or by the next delete of the backup).
    /// </summary>
    public async Task ResetStatusAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var now = Ts.Of(time.GetUtcNow());
        await connection.ExecuteAsync(
            "UPDATE instances SET task = 'None', service_status = 'Unknown', server_status = CASE WHEN server_status = 'Build' " +
            "THEN 'Error' ELSE server_status END, updated = @now WHERE id = @id", new { id, now }, tx);
        await connection.ExecuteAsync(
            "UPDATE workflows SET status = 'FAILED', error = 'Abandoned by reset_status.', updated = @now " +
            "WHERE instance_id = @id AND status = 'RUNNING'", new { id, now }, tx);
        await connection.ExecuteAsync(
            "UPDATE backups SET status = 'FAILED', fault = 'The backup was ended by an administrator''s reset_status.', " +
            "size = NULL, checksum = NULL, location = NULL, updated = @now " +
            "WHERE instance_id = @id AND status IN ('NEW', 'BUILDING') AND deleted = 0", new { id, now }, tx);
        await tx.CommitAsync(cancellationToken);
    }

    public Task MarkDeletedAsync(string id, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE instances SET deleted = 1, deleted_at = @now, updated = @now, address = NULL WHERE id = @id",
            new { id, now = Ts.Of(time.GetUtcNow()) }, cancellationToken);

    /// <summary>
    /// Start an action's workflow if no other task is in progress: the check and the change happen in one
    /// statement, so two concurrent actions cannot both pass.
    /// </summary>
    public async Task<bool> TryBeginAsync(string id, InstanceTask task, WorkflowRecord workflow,
        IReadOnlyCollection<InstanceTask> allowedFrom, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var allowed = allowedFrom.Select(t => t.ToString()).ToArray();
        var changed = await connection.ExecuteAsync(
            $"UPDATE instances SET task = @task, updated = @now WHERE id = @id AND deleted = 0 AND {db.In("task", "allowed")}",
            new { id, task = task.ToString(), now = Ts.Of(time.GetUtcNow()), allowed }, tx);
        if (changed == 0)
        {
            return false;
        }

        await WorkflowStore.InsertAsync(connection, tx, workflow);
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    public async Task AddFaultAsync(string instanceId, string message, string? details, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            "INSERT INTO instance_faults (instance_id, message, details, created) VALUES (@instanceId, @message, @details, @now)",
            new { instanceId, message, details, now = Ts.Of(time.GetUtcNow()) });
    }

    /// <summary>Removes the instance's faults whose message starts with <paramref name="messagePrefix"/>: a condition that has ended.</summary>
    /// <returns>How many were removed.</returns>
    public async Task<int> DeleteFaultsAsync(string instanceId, string messagePrefix, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(
            "DELETE FROM instance_faults WHERE instance_id = @instanceId AND substr(message, 1, length(@messagePrefix)) = @messagePrefix",
            new { instanceId, messagePrefix });
    }

    public async Task<InstanceFault?> GetLatestFaultAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(string Message, string? Details, string Created)>(
            "SELECT message, details, created FROM instance_faults WHERE instance_id = @instanceId ORDER BY id DESC LIMIT 1",
            new { instanceId });
        return row.Message is null ? null : new InstanceFault(instanceId, row.Message, row.Details, DateTimeOffset.Parse(row.Created, System.Globalization.CultureInfo.InvariantCulture));
    }

    public async Task<bool> HasRootHistoryAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM root_history WHERE instance_id = @instanceId",
            new { instanceId }) > 0;
    }

    public Task RecordRootEnabledAsync(string instanceId, string userId, CancellationToken cancellationToken) =>
        ExecuteAsync("INSERT INTO root_history (instance_id, user_id, created) VALUES (@instanceId, @userId, @now) " +
                     "ON CONFLICT (instance_id) DO UPDATE SET user_id = excluded.user_id, created = excluded.created",
            new { instanceId, userId, now = Ts.Of(time.GetUtcNow()) }, cancellationToken);

    private async Task ExecuteAsync(string sql, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(sql, parameters);
    }

    private static object Params(InstanceRecord i) => new
    {
        i.Id, i.ProjectId, i.Name, i.FlavorId, i.DatastoreVersionId, i.VolumeSize,
        Task = i.Task.ToString(), ServerStatus = i.ServerStatus.ToString(), ServiceStatus = i.ServiceStatus.ToString(),
        ServiceStatusUpdated = Ts.Of(i.ServiceStatusUpdated), i.Address, i.Port, i.BusSecretHash, i.AvailabilityZone,
        Created = Ts.Of(i.Created), Updated = Ts.Of(i.Updated), i.ConfigurationId, i.AllowedCidrs, i.ReplicaOf, i.ReplicationSet, i.Locality,
    };

    internal static DbTransaction? NoTransaction => null;

    /// <summary>
    /// <see cref="TryBeginAsync"/> for an action that takes more of the project's quotas (a resize): the quota check, the
    /// task change and the workflow's insert share one write transaction, so concurrent requests cannot together pass a limit.
    /// </summary>
    /// <returns>Begun: false when another task is in progress (or the quota is exceeded); Exceeded: the resources over their limits.</returns>
    public async Task<(bool Begun, IReadOnlyList<string> Exceeded)> TryBeginWithinQuotaAsync(InstanceRecord instance, InstanceTask task,
        WorkflowRecord workflow, IReadOnlyCollection<InstanceTask> allowedFrom, IReadOnlyDictionary<string, long> deltas,
        IReadOnlyDictionary<string, int> defaultLimits, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await db.LockAsync(connection, tx, QuotaStore.LockKey(instance.ProjectId), cancellationToken);
        var limits = await QuotaStore.LimitsAsync(connection, tx, instance.ProjectId, defaultLimits);
        var usage = await QuotaStore.UsageAsync(connection, tx, instance.ProjectId);
        var exceeded = QuotaStore.Exceeded(limits, usage, deltas);
        if (exceeded.Count > 0)
        {
            return (false, exceeded);
        }

        var changed = await connection.ExecuteAsync(
            $"UPDATE instances SET task = @task, updated = @now WHERE id = @id AND deleted = 0 AND {db.In("task", "allowed")}",
            new { id = instance.Id, task = task.ToString(), now = Ts.Of(time.GetUtcNow()), allowed = allowedFrom.Select(t => t.ToString()).ToArray() },
            tx);
        if (changed == 0)
        {
            return (false, []);
        }

        await WorkflowStore.InsertAsync(connection, tx, workflow);
        await tx.CommitAsync(cancellationToken);
        return (true, []);
    }

    /// <summary>Record a grown volume's size and end the resize, unless another action took over meanwhile.</summary>
    public async Task<bool> TryFinishVolumeResizeAsync(string id, int sizeGb, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(
            "UPDATE instances SET volume_size = @sizeGb, task = 'None', updated = @now WHERE id = @id AND task = 'Resizing'",
            new { id, sizeGb, now = Ts.Of(time.GetUtcNow()) }) > 0;
    }

    /// <summary>Record the instance's new flavor and end the resize, unless another action took over meanwhile.</summary>
    public async Task<bool> TryFinishFlavorResizeAsync(string id, string flavorId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(
            "UPDATE instances SET flavor_id = @flavorId, task = 'None', updated = @now WHERE id = @id AND task = 'Resizing'",
            new { id, flavorId, now = Ts.Of(time.GetUtcNow()) }) > 0;
    }

    /// <summary>
    /// Instances of every project (only <paramref name="projectId"/>'s when given) for the admin API: live ones, or
    /// with <paramref name="deleted"/> the deleted ones; newest first, starting after <paramref name="marker"/>.
    /// </summary>
    public async Task<IReadOnlyList<InstanceRecord>> ListAnyProjectAsync(string? projectId, bool deleted, int limit, string? marker,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var sql = $"SELECT {Columns} FROM instances WHERE deleted = @deleted" +
                  (projectId is null ? "" : " AND project_id = @projectId") +
                  (marker is null ? "" : " AND (created, id) < (SELECT created, id FROM instances WHERE id = @marker)") +
                  " ORDER BY created DESC, id DESC LIMIT @limit";
        return [.. await connection.QueryAsync<InstanceRecord>(sql, new { projectId, deleted = deleted ? 1 : 0, marker, limit })];
    }

    /// <summary>An instance of any project; a deleted one too when <paramref name="includeDeleted"/>.</summary>
    public async Task<InstanceRecord?> GetAnyProjectAsync(string id, bool includeDeleted, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<InstanceRecord>(
            $"SELECT {Columns} FROM instances WHERE id = @id" + (includeDeleted ? "" : " AND deleted = 0"), new { id });
    }

    /// <summary>
    /// Begin deleting an instance in one transaction: task DELETING, every other running workflow of the instance
    /// abandoned (a restart or resize must not start again what the delete removes), and the delete's workflow inserted.
    /// </summary>
    public async Task<bool> TryBeginDeleteAsync(string id, WorkflowRecord workflow, IReadOnlyCollection<InstanceTask> allowedFrom,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var now = Ts.Of(time.GetUtcNow());
        var changed = await connection.ExecuteAsync(
            $"UPDATE instances SET task = 'Deleting', updated = @now WHERE id = @id AND deleted = 0 AND {db.In("task", "allowed")}",
            new { id, now, allowed = allowedFrom.Select(t => t.ToString()).ToArray() }, tx);
        if (changed == 0)
        {
            return false;
        }

        await connection.ExecuteAsync(
            "UPDATE workflows SET status = 'FAILED', error = 'Abandoned by delete.', updated = @now " +
            "WHERE instance_id = @id AND status = 'RUNNING'", new { id, now }, tx);
        await WorkflowStore.InsertAsync(connection, tx, workflow);
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// When the latest step of a workflow of the instance that was abandoned (by reset_status or a delete) started, or
    /// null: the engine notices an abandoned workflow only when it next saves it, so that step may still be running.
    /// </summary>
    public async Task<DateTimeOffset?> LatestAbandonedStepStartAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var started = await connection.ExecuteScalarAsync<string?>(
            "SELECT MAX(step_started) FROM workflows WHERE instance_id = @instanceId AND status = 'FAILED' " +
            "AND error LIKE 'Abandoned by %' AND step_started IS NOT NULL", new { instanceId });
        return started is null
            ? null
            : DateTimeOffset.Parse(started, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal);
    }

    /// <summary>
    /// Give up the instance's address while it is being deleted: the allocator may hand it to a new instance as soon as
    /// the compute provider has released it, and addresses are unique among instances' rows.
    /// </summary>
    public Task ClearAddressAsync(string id, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE instances SET address = NULL, updated = @now WHERE id = @id",
            new { id, now = Ts.Of(time.GetUtcNow()) }, cancellationToken);
}
