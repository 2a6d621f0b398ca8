using Dapper;
using Hoard.Core.Backups;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;

namespace Hoard.Persistence;

/// <summary>
/// Backups' rows. Every change of status is conditional on the status it leaves, so a workflow, an upload and an admin's
/// reset_status racing each other cannot undo one another's outcome.
/// </summary>
public sealed class BackupStore(StateDb db, TimeProvider time)
{
    private const string Columns =
        "id, project_id, instance_id, name, description, status, datastore_type, datastore_version, datastore_version_id, " +
        "strategy, parent_id, size, tool_bytes, checksum, location, encrypted, storage_driver, metadata, fault, created, updated, " +
        "deleted, deleted_at, container";

    /// <summary>
    /// Start a backup of its instance: in one write transaction, the instance takes task <paramref name="task"/> if it is in
    /// one of <paramref name="allowedFrom"/>, the project's backup quota is checked, and the backup and its workflow are
    /// inserted. Nothing changes unless all of it does.
    /// </summary>
    /// <returns>Begun: false when the instance is busy or over quota; Exceeded: the resources over their limits.</returns>
    public async Task<(bool Begun, IReadOnlyList<string> Exceeded)> TryBeginAsync(BackupRecord backup, WorkflowRecord workflow,
        InstanceTask task, IReadOnlyCollection<InstanceTask> allowedFrom, IReadOnlyDictionary<string, int> defaultLimits,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await db.LockAsync(connection, tx, QuotaStore.LockKey(backup.ProjectId), cancellationToken);
        var changed = await connection.ExecuteAsync(
            $"UPDATE instances SET task = @task, updated = @now WHERE id = @id AND deleted = 0 AND {db.In("task", "allowed")}",
            new
            {
                id = backup.InstanceId, task = task.ToString(), now = Ts.Of(time.GetUtcNow()),
                allowed = allowedFrom.Select(t => t.ToString()).ToArray(),
            }, tx);
        if (changed == 0)
        {
            return (false, []);
        }

        var limits = await QuotaStore.LimitsAsync(connection, tx, backup.ProjectId, defaultLimits);
        var usage = await QuotaStore.UsageAsync(connection, tx, backup.ProjectId);
        var exceeded = QuotaStore.Exceeded(limits, usage, new Dictionary<string, long> { [QuotaStore.Backups] = 1 });
        if (exceeded.Count > 0)
        {
            return (false, exceeded);
        }

        await connection.ExecuteAsync(
            $"INSERT INTO backups ({Columns}) VALUES (@Id, @ProjectId, @InstanceId, @Name, @Description, @Status, @DatastoreType, " +
            "@DatastoreVersion, @DatastoreVersionId, @Strategy, @ParentId, @Size, @ToolBytes, @Checksum, @Location, @Encrypted, " +
            "@StorageDriver, @Metadata, @Fault, @Created, @Updated, 0, NULL, @Container)",
            new
            {
                backup.Id, backup.ProjectId, backup.InstanceId, backup.Name, backup.Description, backup.Status, backup.DatastoreType,
                backup.DatastoreVersion, backup.DatastoreVersionId, backup.Strategy, backup.ParentId, backup.Size, backup.ToolBytes,
                backup.Checksum, backup.Location, Encrypted = backup.Encrypted ? 1 : 0, backup.StorageDriver, backup.Metadata,
                backup.Fault, Created = Ts.Of(backup.Created), Updated = Ts.Of(backup.Updated), backup.Container,
            }, tx);
        await WorkflowStore.InsertAsync(connection, tx, workflow);
        await tx.CommitAsync(cancellationToken);
        return (true, []);
    }

    /// <summary>A backup that is not deleted, of any project.</summary>
    public async Task<BackupRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<BackupRecord>($"SELECT {Columns} FROM backups WHERE id = @id AND deleted = 0", new { id });
    }

    /// <summary>Backups that are not deleted, newest first, starting after <paramref name="marker"/>; null filters match all.</summary>
    public async Task<IReadOnlyList<BackupRecord>> ListAsync(string? projectId, string? instanceId, string? datastoreType, int limit,
        string? marker, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var sql = $"SELECT {Columns} FROM backups WHERE deleted = 0" +
                  (projectId is null ? "" : " AND project_id = @projectId") +
                  (instanceId is null ? "" : " AND instance_id = @instanceId") +
                  (datastoreType is null ? "" : " AND datastore_type = @datastoreType") +
                  (marker is null ? "" : " AND (created, id) < (SELECT created, id FROM backups WHERE id = @marker)") +
                  " ORDER BY created DESC, id DESC LIMIT @limit";
        return [.. await connection.QueryAsync<BackupRecord>(sql, new { projectId, instanceId, datastoreType, marker, limit })];
    }

    /// <summary>The instance's newest COMPLETED backup (what <c>incremental: 1</c> builds on), or null.</summary>
    public async Task<BackupRecord?> FindLatestCompletedAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QueryFirstOrDefaultAsync<BackupRecord>(
            $"SELECT {Columns} FROM backups WHERE instance_id = @instanceId AND status = 'COMPLETED' AND deleted = 0 " +
            "ORDER BY created DESC, id DESC LIMIT 1", new { instanceId });
    }

    /// <summary>The backups built on <paramref name="id"/>, directly or through others, deepest first.</summary>
    public async Task<IReadOnlyList<BackupRecord>> ListDescendantsAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<BackupRecord>(
            "WITH RECURSIVE chain (id, depth) AS (SELECT id, 1 FROM backups WHERE parent_id = @id AND deleted = 0 " +
            "UNION ALL SELECT b.id, c.depth + 1 FROM backups b JOIN chain c ON b.parent_id = c.id WHERE b.deleted = 0) " +
            $"SELECT {string.Join(", ", Columns.Split(", ").Select(c => "b." + c))} FROM backups b JOIN chain c ON c.id = b.id " +
            "ORDER BY c.depth DESC", new { id })];
    }

    /// <summary>
    /// The instance whose build will restore <paramref name="id"/> (a running provision workflow lists it among its
    /// layers), or null.
    /// </summary>
    /// <param name="exceptInstanceId">An instance whose build does not count (the one asking).</param>
    public async Task<string?> FindRestoringInstanceAsync(string id, CancellationToken cancellationToken, string? exceptInstanceId = null)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        // Read in C#, not with the databases' differing JSON functions: running workflows are few.
        var running = await connection.QueryAsync<(string InstanceId, string Data)>(
            "SELECT instance_id, data FROM workflows WHERE status = 'RUNNING' AND instance_id IS DISTINCT FROM @exceptInstanceId ORDER BY created",
            new { exceptInstanceId });
        return running.FirstOrDefault(w => WorkflowData.Strings(w.Data, "restore_layers").Contains(id)).InstanceId;
    }

    /// <summary>NEW → BUILDING, once: false when the backup was already started (or ended) before.</summary>
    public Task<bool> TryBeginBuildingAsync(string id, CancellationToken cancellationToken) =>
        ChangeAsync("UPDATE backups SET status = 'BUILDING', updated = @now WHERE id = @id AND status = 'NEW'", new { id }, cancellationToken);

    /// <summary>Records what an upload stored, if the backup is still being built.</summary>
    public Task<bool> TryRecordUploadAsync(string id, StoredBackup stored, CancellationToken cancellationToken) =>
        ChangeAsync(
            "UPDATE backups SET size = @Size, checksum = @Checksum, location = @Location, encrypted = @encrypted, updated = @now " +
            "WHERE id = @id AND status = 'BUILDING' AND deleted = 0",
            new { id, stored.Size, stored.Checksum, stored.Location, encrypted = stored.Encrypted ? 1 : 0 }, cancellationToken);

    /// <summary>BUILDING → COMPLETED, only when an upload was recorded.</summary>
    public Task<bool> TryCompleteAsync(string id, long toolBytes, string metadata, CancellationToken cancellationToken) =>
        ChangeAsync(
            "UPDATE backups SET status = 'COMPLETED', tool_bytes = @toolBytes, metadata = @metadata, updated = @now " +
            "WHERE id = @id AND status = 'BUILDING' AND checksum IS NOT NULL AND deleted = 0",
            new { id, toolBytes, metadata }, cancellationToken);

    /// <summary>NEW or BUILDING → FAILED with <paramref name="fault"/>; what was stored is no longer recorded (it is deleted).</summary>
    public Task<bool> TryFailAsync(string id, string fault, CancellationToken cancellationToken) =>
        ChangeAsync(
            "UPDATE backups SET status = 'FAILED', fault = @fault, size = NULL, checksum = NULL, location = NULL, updated = @now " +
            "WHERE id = @id AND status IN ('NEW', 'BUILDING')", new { id, fault }, cancellationToken);

    /// <summary>Fails every running backup of an instance whose task was ended without its workflow; returns them.</summary>
    public async Task<IReadOnlyList<BackupRecord>> FailRunningAsync(string instanceId, string fault, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var running = (await connection.QueryAsync<BackupRecord>(
            $"SELECT {Columns} FROM backups WHERE instance_id = @instanceId AND status IN ('NEW', 'BUILDING') AND deleted = 0",
            new { instanceId })).ToList();
        var failed = new List<BackupRecord>();
        foreach (var backup in running)
        {
            if (await TryFailAsync(backup.Id, fault, cancellationToken))
            {
                failed.Add(backup);
            }
        }

        return failed;
    }

    /// <summary>Storage refused to delete the data: the row stays, DELETE_FAILED, so that a later delete can retry.</summary>
    public Task<bool> TrySetDeleteFailedAsync(string id, string fault, CancellationToken cancellationToken) =>
        ChangeAsync(
            "UPDATE backups SET status = 'DELETE_FAILED', fault = @fault, updated = @now WHERE id = @id AND deleted = 0 " +
            "AND status NOT IN ('NEW', 'BUILDING')", new { id, fault }, cancellationToken);

    /// <summary>Forgets a backup whose data is gone; it no longer counts against the quota.</summary>
    public Task<bool> TryMarkDeletedAsync(string id, CancellationToken cancellationToken) =>
        ChangeAsync(
            "UPDATE backups SET deleted = 1, deleted_at = @now, updated = @now WHERE id = @id AND deleted = 0 " +
            "AND status NOT IN ('NEW', 'BUILDING')", new { id }, cancellationToken);

    private async Task<bool> ChangeAsync(string sql, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var values = new DynamicParameters(parameters);
        values.Add("now", Ts.Of(time.GetUtcNow()));
        return await connection.ExecuteAsync(sql, values) > 0;
    }
}
