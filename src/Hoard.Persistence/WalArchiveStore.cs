using Dapper;
using Hoard.Core.PointInTime;

namespace Hoard.Persistence;

/// <summary>Instances' WAL tokens (their SHA-256 only) and the WAL files archived for them.</summary>
public sealed class WalArchiveStore(StateDb db, TimeProvider time)
{
    private const string Columns =
        "instance_id, name, project_id, kind, timeline, segment, size, checksum, encrypted, storage_driver, end_time, archived";

    /// <summary>Replaces the instance's WAL token: from now on only the token with this hash archives for it.</summary>
    public async Task SetTokenHashAsync(string instanceId, string projectId, string tokenHash, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var now = Ts.Of(time.GetUtcNow());
        await connection.ExecuteAsync(
            "INSERT INTO wal_archives (instance_id, project_id, token_hash, created, updated) VALUES (@instanceId, @projectId, @tokenHash, @now, @now) " +
            "ON CONFLICT (instance_id) DO UPDATE SET token_hash = excluded.token_hash, updated = excluded.updated",
            new { instanceId, projectId, tokenHash, now });
    }

    public async Task<string?> GetTokenHashAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<string?>("SELECT token_hash FROM wal_archives WHERE instance_id = @instanceId", new { instanceId });
    }

    /// <summary>Records an archived file; a file archived again (PostgreSQL repeats an archive it could not confirm) replaces the row.</summary>
    public async Task RecordAsync(WalFileRecord file, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            $"INSERT INTO wal_segments ({Columns}) VALUES (@InstanceId, @Name, @ProjectId, @kind, @Timeline, @Segment, @Size, " +
            "@Checksum, @encrypted, @StorageDriver, @endTime, @archived) ON CONFLICT (instance_id, name) DO UPDATE SET " +
            "project_id = excluded.project_id, kind = excluded.kind, timeline = excluded.timeline, segment = excluded.segment, " +
            "size = excluded.size, checksum = excluded.checksum, encrypted = excluded.encrypted, storage_driver = excluded.storage_driver, " +
            "end_time = excluded.end_time, archived = excluded.archived",
            new
            {
                file.InstanceId, file.Name, file.ProjectId, kind = file.Kind.ToString(), file.Timeline, file.Segment, file.Size, file.Checksum,
                encrypted = file.Encrypted ? 1 : 0, file.StorageDriver, endTime = Ts.Of(file.EndTime), archived = Ts.Of(file.Archived),
            });
    }

    public async Task<WalFileRecord?> GetAsync(string instanceId, string name, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<WalFileRecord>(
            $"SELECT {Columns} FROM wal_segments WHERE instance_id = @instanceId AND name = @name", new { instanceId, name });
    }

    /// <summary>The instance's archived files, in name order (histories, then segments by timeline and number).</summary>
    public async Task<IReadOnlyList<WalFileRecord>> ListAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<WalFileRecord>(
            $"SELECT {Columns} FROM wal_segments WHERE instance_id = @instanceId ORDER BY name", new { instanceId })];
    }

    /// <summary>Instances with a WAL token or archived files, and whether the instance is gone (deleted or unknown).</summary>
    public async Task<IReadOnlyList<(string InstanceId, bool Gone)>> ListArchivesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string, long)>(
            "SELECT a.instance_id, (SELECT COUNT(*) FROM instances i WHERE i.id = a.instance_id AND i.deleted = 0) " +
            "FROM (SELECT instance_id FROM wal_archives UNION SELECT instance_id FROM wal_segments) a");
        return [.. rows.Select(r => (r.Item1, r.Item2 == 0))];
    }

    /// <summary>True while a running build restores from the instance's WAL (its files must stay until it has them).</summary>
    public async Task<bool> IsRestoreSourceAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        // Read in C#, not with the databases' differing JSON functions: running workflows are few.
        var running = await connection.QueryAsync<string>("SELECT data FROM workflows WHERE status = 'RUNNING'");
        return running.Any(data => WorkflowData.String(data, "restore_wal_instance") == instanceId);
    }

    public async Task DeleteFileAsync(string instanceId, string name, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync("DELETE FROM wal_segments WHERE instance_id = @instanceId AND name = @name", new { instanceId, name });
    }

    /// <summary>Forgets the instance's WAL token (its files must be deleted first, one by one).</summary>
    public async Task DeleteArchiveAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync("DELETE FROM wal_archives WHERE instance_id = @instanceId", new { instanceId });
    }
}
