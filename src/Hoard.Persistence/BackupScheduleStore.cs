using Dapper;
using Hoard.Core.Backups;

namespace Hoard.Persistence;

/// <summary>
/// Backup schedules and their runs. A run is unique per schedule and due time, so a scheduler that restarts finds the run
/// it was working on instead of starting another; changes of <c>next_run</c> are conditional on the value read, so a
/// user's PUT racing a run is never overwritten.
/// </summary>
public sealed class BackupScheduleStore(StateDb db, TimeProvider time)
{
    private const string Columns =
        "instance_id, project_id, cron, interval_minutes, window_minutes, retention_count, retention_days, incremental, enabled, " +
        "next_run, created, updated";

    private const string RunColumns = "id, instance_id, project_id, due, status, backup_id, reason, created, updated";

    /// <summary>Runs of an instance kept for their history even when they mark no backup.</summary>
    public const int RunsKept = 10;

    /// <summary>The schedule of a live instance.</summary>
    public async Task<BackupSchedule?> GetAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<BackupSchedule>(
            $"SELECT {Columns} FROM backup_schedules WHERE instance_id = @instanceId", new { instanceId });
    }

    /// <summary>Creates or replaces the schedule of an instance; a run waiting for another time than the new next run is skipped.</summary>
    public async Task PutAsync(BackupSchedule s, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(
            $"INSERT INTO backup_schedules ({Columns}) VALUES (@InstanceId, @ProjectId, @Cron, @IntervalMinutes, @WindowMinutes, " +
            "@RetentionCount, @RetentionDays, @Incremental, @Enabled, @NextRun, @Created, @Updated) ON CONFLICT (instance_id) DO UPDATE SET " +
            "cron = excluded.cron, interval_minutes = excluded.interval_minutes, window_minutes = excluded.window_minutes, " +
            "retention_count = excluded.retention_count, retention_days = excluded.retention_days, incremental = excluded.incremental, " +
            "enabled = excluded.enabled, next_run = excluded.next_run, updated = excluded.updated",
            new
            {
                s.InstanceId, s.ProjectId, s.Cron, s.IntervalMinutes, s.WindowMinutes, s.RetentionCount, s.RetentionDays,
                Incremental = s.Incremental ? 1 : 0, Enabled = s.Enabled ? 1 : 0, NextRun = Ts.Of(s.NextRun), Created = Ts.Of(s.Created),
                Updated = Ts.Of(s.Updated),
            }, tx);
        await connection.ExecuteAsync(
            "UPDATE backup_schedule_runs SET status = 'SKIPPED', reason = 'The schedule was changed before this run started.', " +
            "updated = @now WHERE instance_id = @InstanceId AND due <> @NextRun AND (status = 'WAITING' OR (status = 'STARTING' " +
            "AND (backup_id IS NULL OR backup_id NOT IN (SELECT id FROM backups))))",
            new { s.InstanceId, NextRun = Ts.Of(s.NextRun), now = Ts.Of(time.GetUtcNow()) }, tx);
        await tx.CommitAsync(cancellationToken);
    }

    /// <summary>Removes a schedule; its runs that mark existing backups stay, so a later schedule's retention covers them.</summary>
    public async Task<bool> DeleteAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var deleted = await connection.ExecuteAsync("DELETE FROM backup_schedules WHERE instance_id = @instanceId", new { instanceId }, tx);
        await connection.ExecuteAsync(
            "DELETE FROM backup_schedule_runs WHERE instance_id = @instanceId AND (backup_id IS NULL OR backup_id NOT IN " +
            "(SELECT id FROM backups WHERE deleted = 0))", new { instanceId }, tx);
        await tx.CommitAsync(cancellationToken);
        return deleted > 0;
    }

    /// <summary>Enabled schedules of live instances whose next run is due by <paramref name="now"/>.</summary>
    public async Task<IReadOnlyList<BackupSchedule>> ListDueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<BackupSchedule>(
            $"SELECT {string.Join(", ", Columns.Split(", ").Select(c => "s." + c))} FROM backup_schedules s " +
            "JOIN instances i ON i.id = s.instance_id AND i.deleted = 0 WHERE s.enabled = 1 AND s.next_run <= @now ORDER BY s.next_run",
            new { now = Ts.Of(now) })];
    }

    /// <summary>Every schedule, those of deleted instances included (retention still applies to their backups).</summary>
    public async Task<IReadOnlyList<BackupSchedule>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<BackupSchedule>($"SELECT {Columns} FROM backup_schedules ORDER BY instance_id")];
    }

    /// <summary>Moves the next run from <paramref name="expected"/> on; false when a PUT changed it meanwhile.</summary>
    public async Task<bool> TryAdvanceAsync(string instanceId, DateTimeOffset expected, DateTimeOffset nextRun, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(
            "UPDATE backup_schedules SET next_run = @nextRun WHERE instance_id = @instanceId AND next_run = @expected",
            new { instanceId, expected = Ts.Of(expected), nextRun = Ts.Of(nextRun) }) > 0;
    }

    public async Task<BackupScheduleRun?> GetRunAsync(string instanceId, DateTimeOffset due, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<BackupScheduleRun>(
            $"SELECT {RunColumns} FROM backup_schedule_runs WHERE instance_id = @instanceId AND due = @due",
            new { instanceId, due = Ts.Of(due) });
    }

    /// <summary>The newest run of an instance's schedule (by due time), or null.</summary>
    public async Task<BackupScheduleRun?> GetLatestRunAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QueryFirstOrDefaultAsync<BackupScheduleRun>(
            $"SELECT {RunColumns} FROM backup_schedule_runs WHERE instance_id = @instanceId ORDER BY due DESC LIMIT 1", new { instanceId });
    }

    /// <summary>Records the state of the run due at <c>run.Due</c>, creating it if needed.</summary>
    public async Task SaveRunAsync(BackupScheduleRun run, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var now = Ts.Of(time.GetUtcNow());
        await connection.ExecuteAsync(
            "INSERT INTO backup_schedule_runs (instance_id, project_id, due, status, backup_id, reason, created, updated) " +
            "VALUES (@InstanceId, @ProjectId, @due, @Status, @BackupId, @Reason, @now, @now) ON CONFLICT (instance_id, due) DO UPDATE SET " +
            "status = excluded.status, backup_id = excluded.backup_id, reason = excluded.reason, updated = excluded.updated",
            new { run.InstanceId, run.ProjectId, due = Ts.Of(run.Due), run.Status, run.BackupId, run.Reason, now });
    }

    /// <summary>Running runs whose backup has ended (or is gone), with the backup's status and fault.</summary>
    public async Task<IReadOnlyList<EndedRun>> ListEndedRunsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<EndedRun>(
            "SELECT r.instance_id, r.project_id, r.due, r.backup_id, b.status AS backup_status, b.fault FROM backup_schedule_runs r " +
            "LEFT JOIN backups b ON b.id = r.backup_id AND b.deleted = 0 WHERE r.status = 'RUNNING' " +
            "AND (b.id IS NULL OR b.status NOT IN ('NEW', 'BUILDING'))")];
    }

    /// <summary>The backups of an instance that are not deleted, each marked whether a schedule made it.</summary>
    public async Task<IReadOnlyList<RetentionCandidate>> ListRetentionCandidatesAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Id, string? ParentId, string Status, string Created, long Scheduled)>(
            "SELECT b.id, b.parent_id, b.status, b.created, (SELECT COUNT(*) FROM backup_schedule_runs r WHERE r.backup_id = b.id) " +
            "FROM backups b WHERE b.instance_id = @instanceId AND b.deleted = 0", new { instanceId });
        return [.. rows.Select(r => new RetentionCandidate(r.Id, r.ParentId, r.Status,
            DateTimeOffset.Parse(r.Created, System.Globalization.CultureInfo.InvariantCulture), r.Scheduled != 0))];
    }

    /// <summary>Whether the instance is deleted (or unknown).</summary>
    public async Task<bool> IsInstanceGoneAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM instances WHERE id = @instanceId AND deleted = 0",
            new { instanceId }) == 0;
    }

    /// <summary>
    /// Forgets runs that no longer mark a backup (their backups are deleted, or they made none), except the newest
    /// <see cref="RunsKept"/> of the instance; and the schedule of a deleted instance once none of its backups is left.
    /// </summary>
    public async Task TidyAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(
            "DELETE FROM backup_schedule_runs WHERE instance_id = @instanceId AND status NOT IN ('STARTING', 'WAITING', 'RUNNING') " +
            "AND due < (SELECT MIN(due) FROM (SELECT due FROM backup_schedule_runs WHERE instance_id = @instanceId " +
            "ORDER BY due DESC LIMIT @RunsKept) AS kept) " +
            "AND (backup_id IS NULL OR backup_id NOT IN (SELECT id FROM backups WHERE deleted = 0))", new { instanceId, RunsKept }, tx);
        await connection.ExecuteAsync(
            "DELETE FROM backup_schedules WHERE instance_id = @instanceId " +
            "AND NOT EXISTS (SELECT 1 FROM instances WHERE id = @instanceId AND deleted = 0) " +
            "AND NOT EXISTS (SELECT 1 FROM backup_schedule_runs r JOIN backups b ON b.id = r.backup_id AND b.deleted = 0 " +
            "WHERE r.instance_id = @instanceId)", new { instanceId }, tx);
        await connection.ExecuteAsync(
            "DELETE FROM backup_schedule_runs WHERE instance_id = @instanceId " +
            "AND NOT EXISTS (SELECT 1 FROM backup_schedules WHERE instance_id = @instanceId) " +
            "AND NOT EXISTS (SELECT 1 FROM instances WHERE id = @instanceId AND deleted = 0)", new { instanceId }, tx);
        await tx.CommitAsync(cancellationToken);
    }
}

/// <summary>A run whose backup ended: <see cref="BackupStatus"/> is null when the backup is gone.</summary>
public sealed class EndedRun
{
    public required string InstanceId { get; init; }
    public required string ProjectId { get; init; }
    public DateTimeOffset Due { get; init; }
    public string? BackupId { get; init; }
    public string? BackupStatus { get; init; }
    public string? Fault { get; init; }
}
