using Hoard.Contracts.Guest;
using Hoard.Guest.Backups;
using Hoard.Guest.Datastores.PostgreSql;
using Hoard.Guest.Tests.Backups;
using Npgsql;
using Xunit.Abstractions;

namespace Hoard.Guest.Tests.Datastores.PostgreSql;

/// <summary>
/// WAL archiving and point-in-time restores of a real PostgreSQL: archive_command spools each finished segment, the
/// guest's uploader sends them on, a backup records where its WAL starts, and a restore replays the archive to a time.
/// </summary>
public sealed class PostgreSqlPointInTimeRecoveryTests(BackupReceiver backups, WalReceiver wal, ITestOutputHelper output)
    : IClassFixture<BackupReceiver>, IClassFixture<WalReceiver>
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task RestoreToATimeBetweenTwoWrites_HasTheFirstAndNotTheSecond_AndToTheEnd_HasBoth()
    {
        using var source = PostgreSqlInstance.Create();
        await using var manager = source.CreateManager();
        await manager.PrepareAsync(new PrepareRequest("postgresql", "15", 512, 1, 1, [new DatabaseSpec("shop")],
            [new UserSpec("app", "App-Secret-1", "%", ["shop"])], WalArchive: wal.Target()), None);
        WalSpool.SaveTarget(source.Config.Paths, wal.Target());
        await ExecuteAsync(source, "CREATE TABLE rows_ (v TEXT)");

        var backupId = Guid.NewGuid().ToString();
        var backup = await manager.CreateBackupAsync(new CreateBackupRequest(backupId, BackupStrategies.PgBaseBackup, backups.Upload(backupId)), None);
        output.WriteLine(string.Join(", ", backup.Metadata.Select(m => $"{m.Key}={m.Value}")));
        Assert.Matches("^[0-9A-F]{24}$", backup.Metadata[WalArchiving.StartFileKey]);
        var consistentAt = DateTimeOffset.Parse(backup.Metadata[WalArchiving.ConsistentAtKey], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(consistentAt <= DateTimeOffset.UtcNow && consistentAt > DateTimeOffset.UtcNow.AddMinutes(-1), consistentAt.ToString("O"));

        await ExecuteAsync(source, "INSERT INTO rows_ VALUES ('A')");
        await Task.Delay(1100);
        var between = DateTimeOffset.UtcNow;
        await Task.Delay(1100);
        await ExecuteAsync(source, "INSERT INTO rows_ VALUES ('B')");
        var switched = await SwitchAndArchiveAsync(manager, source);

        var files = wal.Arrivals.Where(n => string.CompareOrdinal(n, backup.Metadata[WalArchiving.StartFileKey]) >= 0 && n.Length == 24)
            .Order(StringComparer.Ordinal).Select(wal.Download).ToList();
        Assert.Contains(files, f => f.Name == switched);

        Assert.Equal(["A"], await RestoreAsync(backupId, backup, new PointInTimeRecovery(between, files), expectHistoryArchived: true));
        Assert.Equal(["A", "B"], await RestoreAsync(backupId, backup, new PointInTimeRecovery(DateTimeOffset.UtcNow, files), expectHistoryArchived: false));
    }

    [Fact]
    public async Task WithoutASpool_ArchivingSucceedsAndKeepsNothing()
    {
        using var instance = PostgreSqlInstance.Create();
        await using var manager = instance.CreateManager();
        await manager.PrepareAsync(new PrepareRequest("postgresql", "15", 512, 1, 1, [], []), None);

        await using var admin = await manager.Server.OpenAdminAsync("postgres", TimeSpan.FromSeconds(10), None);
        await using (var command = new NpgsqlCommand("CREATE TABLE t (v INT); SELECT pg_switch_wal()", admin))
            await command.ExecuteNonQueryAsync();
        await Poll.UntilAsync(async () => await ScalarAsync<long>(admin, "SELECT archived_count FROM pg_stat_archiver") > 0,
            "PostgreSQL never archived the switched segment");

        Assert.Equal(0L, await ScalarAsync<long>(admin, "SELECT failed_count FROM pg_stat_archiver"));
        Assert.False(Directory.Exists(WalSpool.Directory(instance.Config.Paths)));
    }

    /// <summary>Switches to a new segment and uploads the spool until the switched one has arrived; returns its name.</summary>
    private async Task<string> SwitchAndArchiveAsync(PostgreSqlManager manager, PostgreSqlInstance source)
    {
        string segment;
        await using (var admin = await manager.Server.OpenAdminAsync("postgres", TimeSpan.FromSeconds(10), None))
            segment = await ScalarAsync<string>(admin, "SELECT pg_walfile_name(pg_switch_wal())");
        var uploader = new WalSpoolUploader(source.Config.Paths, output.WriteLine, TimeProvider.System);
        using var client = new HttpClient();
        await Poll.UntilAsync(async () =>
        {
            await uploader.UploadPendingAsync(client, None);
            return wal.Files.ContainsKey(segment);
        }, $"Segment {segment} never arrived from the spool", 60);
        Assert.DoesNotContain(Directory.EnumerateFiles(WalSpool.Directory(source.Config.Paths)), f => !Path.GetFileName(f).StartsWith('.'));
        return segment;
    }

    private async Task<List<string>> RestoreAsync(string backupId, CreateBackupResult backup, PointInTimeRecovery recovery, bool expectHistoryArchived)
    {
        using var instance = PostgreSqlInstance.Create();
        await using var restored = instance.CreateManager();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await restored.PrepareAsync(new PrepareRequest("postgresql", "15", 512, 1, 1, [new DatabaseSpec("shop")], [new UserSpec("app", "App-Restored-2", "%", ["shop"])],
            Restore: new RestoreSource(BackupStrategies.PgBaseBackup, [backups.Layer(backupId, backup.Metadata)], recovery),
            WalArchive: wal.Target()), None);
        output.WriteLine($"restored to {recovery.TargetTime:O} in {watch.Elapsed.TotalSeconds:0.000} s: {string.Join(" / ", instance.LogLines)}");

        Assert.True(restored.IsPrepared);
        Assert.Equal(ServiceStatus.Healthy, await restored.ProbeAsync(None));
        Assert.False(Directory.Exists(restored.Server.Paths.WalRestoreDirectory), "the fetched WAL outlived the recovery");
        Assert.False(File.Exists(restored.Server.Paths.RecoverySignal));
        await using var connection = await instance.ConnectTcpAsync("app", "App-Restored-2", "shop");
        await using (var write = new NpgsqlCommand("INSERT INTO rows_ VALUES ('after')", connection))
            await write.ExecuteNonQueryAsync();
        if (expectHistoryArchived)
        {
            // Promoted onto a new timeline, whose history file the restored instance archives as its own.
            await Poll.UntilAsync(() => File.Exists(Path.Combine(WalSpool.Directory(instance.Config.Paths), "00000002.history")),
                "The restored instance did not spool the history of its new timeline");
        }

        await using var read = new NpgsqlCommand("SELECT v FROM rows_ WHERE v <> 'after' ORDER BY v", connection);
        await using var reader = await read.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
            rows.Add(reader.GetString(0));
        return rows;
    }

    private static async Task ExecuteAsync(PostgreSqlInstance instance, string sql)
    {
        await using var connection = await instance.ConnectTcpAsync("app", "App-Secret-1", "shop");
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
