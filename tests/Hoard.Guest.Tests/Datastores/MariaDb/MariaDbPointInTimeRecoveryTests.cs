using System.Globalization;
using Hoard.Contracts.Guest;
using Hoard.Guest.Backups;
using Hoard.Guest.Datastores.MariaDb;
using Hoard.Guest.Tests.Backups;
using Xunit.Abstractions;

namespace Hoard.Guest.Tests.Datastores.MariaDb;

/// <summary>
/// Binary log archiving and point-in-time restores of a real MariaDB: the guest closes the binary log when a transaction
/// is in it, spools the closed files and purges them, a full backup records its binary log position, and a restore
/// replays the archive up to a time.
/// </summary>
public sealed class MariaDbPointInTimeRecoveryTests(BackupReceiver backups, WalReceiver wal, ITestOutputHelper output)
    : IClassFixture<BackupReceiver>, IClassFixture<WalReceiver>
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task RestoreToATimeBetweenTwoWrites_HasTheFirstAndNotTheSecond_AndToTheFirstsOwnSecond_HasIt()
    {
        using var source = MariaDbInstance.Create();
        await using var manager = source.CreateManager();
        await manager.PrepareAsync(new PrepareRequest("mariadb", "10.11", 512, 1, 1, [new DatabaseSpec("shop")],
            [new UserSpec("app", "App-Secret-1", "%", ["shop"])], new Dictionary<string, string> { [MariaDbConfigTemplate.ArchiveTimeoutKey] = "1" },
            WalArchive: wal.Target()), None);
        WalSpool.SaveTarget(source.Config.Paths, wal.Target());
        using (var admin = manager.Server.OpenAdmin(TimeSpan.FromSeconds(10)))
        {
            Assert.Equal("1", admin.Query("SELECT @@GLOBAL.log_bin")[0][0]);
            Assert.Equal("ROW", admin.Query("SELECT @@GLOBAL.binlog_format")[0][0]);
        }

        Execute(source, "CREATE TABLE rows_ (v VARCHAR(8), at DATETIME(6))");
        var backupId = Guid.NewGuid().ToString();
        var backup = await manager.CreateBackupAsync(new CreateBackupRequest(backupId, BackupStrategies.MariaDbBackup, backups.Upload(backupId)), None);
        output.WriteLine(string.Join(", ", backup.Metadata.Select(m => $"{m.Key}={m.Value}")));
        var startFile = backup.Metadata[WalArchiving.StartFileKey];
        Assert.Matches(@"^binlog\.\d{6}$", startFile);
        Assert.Matches(@"^\d+$", backup.Metadata[WalArchiving.StartPositionKey]);
        Assert.True(DateTimeOffset.Parse(backup.Metadata[WalArchiving.ConsistentAtKey], CultureInfo.InvariantCulture) <= DateTimeOffset.UtcNow);

        Execute(source, "INSERT INTO rows_ VALUES ('A', UTC_TIMESTAMP(6))");
        await Task.Delay(1100);
        var between = DateTimeOffset.UtcNow;
        await Task.Delay(1100);
        Execute(source, "INSERT INTO rows_ VALUES ('B', UTC_TIMESTAMP(6))");
        // The file B went into (it may already be closed by now: then B is in an earlier one, which is archived too).
        string fileOfB;
        using (var admin = manager.Server.OpenAdmin(TimeSpan.FromSeconds(10)))
            fileOfB = admin.Query("SHOW MASTER STATUS")[0][0]!;
        DateTimeOffset aAt;
        using (var connection = Connect(source, "App-Secret-1"))
            aAt = new DateTimeOffset(DateTime.SpecifyKind(DateTime.Parse(connection.Query("SELECT at FROM rows_ WHERE v = 'A'")[0][0]!,
                CultureInfo.InvariantCulture), DateTimeKind.Utc));

        // The guest's own loop closes the file with B in it within the archive timeout (1 s); the uploader sends it on.
        var uploader = new WalSpoolUploader(source.Config.Paths, output.WriteLine, TimeProvider.System);
        using var client = new HttpClient();
        await Poll.UntilAsync(async () =>
        {
            await uploader.UploadPendingAsync(client, None);
            return wal.Files.ContainsKey(fileOfB);
        }, "The binary log B was written to was not archived", 30);
        using (var admin = manager.Server.OpenAdmin(TimeSpan.FromSeconds(10)))
            Assert.DoesNotContain(admin.Query("SHOW BINARY LOGS"), row => row[0] == startFile);

        var files = wal.Files.Keys.Where(n => string.CompareOrdinal(n, startFile) >= 0).Order(StringComparer.Ordinal).Select(wal.Download).ToList();
        Assert.Equal(startFile, files[0].Name);

        Assert.Equal(["A"], await RestoreAsync(backupId, backup, new PointInTimeRecovery(between, files)));
        // To the second A was stamped with: inclusive, as PostgreSQL's recovery_target_inclusive.
        Assert.Equal(["A"], await RestoreAsync(backupId, backup, new PointInTimeRecovery(aAt.AddTicks(-(aAt.UtcTicks % TimeSpan.TicksPerSecond)), files)));
        Assert.Equal(["A", "B"], await RestoreAsync(backupId, backup, new PointInTimeRecovery(DateTimeOffset.UtcNow, files)));
    }

    [Fact]
    public void StopDatetime_IsTheSecondAfterTheTarget_SoTheTargetsOwnSecondIsReplayed()
    {
        Assert.Equal("2026-11-30 23:10:06", MariaDbPointInTimeRecovery.StopDatetime(new DateTimeOffset(2026, 11, 30, 23, 10, 5, TimeSpan.Zero)));
        Assert.Equal("2026-11-30 23:10:06", MariaDbPointInTimeRecovery.StopDatetime(new DateTimeOffset(2026, 11, 30, 23, 10, 5, 999, TimeSpan.Zero)));
        Assert.Equal("2026-11-30 23:10:06", MariaDbPointInTimeRecovery.StopDatetime(new DateTimeOffset(2026, 12, 1, 0, 10, 5, TimeSpan.FromHours(1))));
    }

    [Fact]
    public async Task WithoutArchiving_TheServerWritesNoBinaryLog()
    {
        using var instance = MariaDbInstance.Create();
        await using var manager = instance.CreateManager();
        await manager.PrepareAsync(new PrepareRequest("mariadb", "10.11", 512, 1, 1, [], []), None);

        using var admin = manager.Server.OpenAdmin(TimeSpan.FromSeconds(10));
        Assert.Equal("0", admin.Query("SELECT @@GLOBAL.log_bin")[0][0]);
        Assert.False(Directory.Exists(WalSpool.Directory(instance.Config.Paths)));
    }

    [Fact]
    public async Task TheArchiveTimeout_IsAppliedLive_AndNeverReachesMyCnf()
    {
        using var instance = MariaDbInstance.Create();
        await using var manager = instance.CreateManager();
        await manager.PrepareAsync(new PrepareRequest("mariadb", "10.11", 512, 1, 1, [], [], WalArchive: wal.Target()), None);

        var result = await manager.UpdateOverridesAsync(new UpdateOverridesRequest(512,
            new Dictionary<string, string> { [MariaDbConfigTemplate.ArchiveTimeoutKey] = "7" }, []), None);

        Assert.Equal([MariaDbConfigTemplate.ArchiveTimeoutKey], result.Applied);
        Assert.Empty(result.PendingRestart);
        Assert.DoesNotContain(MariaDbConfigTemplate.ArchiveTimeoutKey, File.ReadAllText(manager.Server.Paths.ConfigFile), StringComparison.Ordinal);
        Assert.Contains("log_bin = ", File.ReadAllText(manager.Server.Paths.ConfigFile), StringComparison.Ordinal);
    }

    private async Task<List<string>> RestoreAsync(string backupId, CreateBackupResult backup, PointInTimeRecovery recovery)
    {
        using var instance = MariaDbInstance.Create();
        await using var restored = instance.CreateManager();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await restored.PrepareAsync(new PrepareRequest("mariadb", "10.11", 512, 1, 1, [new DatabaseSpec("shop")], [new UserSpec("app", "App-Restored-2", "%", ["shop"])],
            Restore: new RestoreSource(BackupStrategies.MariaDbBackup, [backups.Layer(backupId, backup.Metadata)], recovery),
            WalArchive: wal.Target()), None);
        output.WriteLine($"restored to {recovery.TargetTime:O} in {watch.Elapsed.TotalSeconds:0.000} s: {string.Join(" / ", instance.LogLines.Where(l => l.Contains("binary log")))}");

        Assert.Equal(ServiceStatus.Healthy, await restored.ProbeAsync(None));
        Assert.False(Directory.Exists(Path.Combine(instance.Config.Paths.Data, "binlog-restore")), "the fetched binary logs outlived the replay");
        using var connection = Connect(instance, "App-Restored-2");
        connection.Execute("INSERT INTO rows_ VALUES ('after', NULL)");
        return [.. connection.Query("SELECT v FROM rows_ WHERE v <> 'after' ORDER BY v").Select(row => row[0]!)];
    }

    private static void Execute(MariaDbInstance instance, string sql)
    {
        using var connection = Connect(instance, "App-Secret-1");
        connection.Execute(sql);
    }

    private static MariaDbConnection Connect(MariaDbInstance instance, string password) =>
        MariaDbConnection.OpenTcp(instance.Config.Address, instance.Config.Port, "app", password, TimeSpan.FromSeconds(10), "shop");
}
