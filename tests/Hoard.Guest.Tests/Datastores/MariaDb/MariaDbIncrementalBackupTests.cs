using System.Diagnostics;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.MariaDb;
using Hoard.Guest.Tests.Backups;
using Xunit.Abstractions;

namespace Hoard.Guest.Tests.Datastores.MariaDb;

/// <summary>
/// Incremental backups of a real MariaDB: a full backup and two incrementals on it, each restored as a chain into a new
/// instance, which must hold exactly what the source held when the chain's last backup was taken.
/// </summary>
public sealed class MariaDbIncrementalBackupTests(MariaDbFixture fixture, BackupReceiver receiver, ITestOutputHelper output)
    : IClassFixture<MariaDbFixture>, IClassFixture<BackupReceiver>
{
    private const string NewPassword = "Alice-Restored-3";
    private static readonly CancellationToken None = CancellationToken.None;
    private MariaDbManager Manager => fixture.Manager;

    [Fact]
    public async Task FullThenTwoIncrementals_RestoreExactlyTheDataOfTheLastBackupInTheChain()
    {
        Write("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(64), price DECIMAL(10,2)) ENGINE=InnoDB",
            "INSERT INTO items SELECT seq, CONCAT('item-', seq, '-', MD5(seq)), seq * 1.25 FROM seq_1_to_200000",
            "CREATE TABLE ledger (id INT PRIMARY KEY, note VARCHAR(32)) ENGINE=MyISAM",
            "INSERT INTO ledger VALUES (1, 'opening')");
        using (var admin = fixture.Admin())
            admin.Execute("SET GLOBAL innodb_max_dirty_pages_pct = 75");
        var full = await BackUpAsync("full", parent: null);

        Write("INSERT INTO items SELECT seq, CONCAT('added-', seq), 9.99 FROM seq_200001_to_202000",
            "UPDATE items SET price = 0 WHERE id <= 500",
            "INSERT INTO ledger VALUES (2, 'after the full backup')",
            "CREATE TABLE later (v INT) ENGINE=InnoDB",
            "INSERT INTO later VALUES (1), (2), (3)");
        var atInc1 = Fingerprint(fixture.ConnectTcp(MariaDbFixture.User, MariaDbFixture.Password, MariaDbFixture.Database));
        var inc1 = await BackUpAsync("inc1", full);

        Write("DELETE FROM items WHERE id BETWEEN 1000 AND 2999",
            "DROP TABLE later",
            "UPDATE ledger SET note = 'rewritten' WHERE id = 1",
            "CREATE TABLE last_ (v VARCHAR(8)) ENGINE=InnoDB",
            "INSERT INTO last_ VALUES ('inc2')");
        var atInc2 = Fingerprint(fixture.ConnectTcp(MariaDbFixture.User, MariaDbFixture.Password, MariaDbFixture.Database));
        var inc2 = await BackUpAsync("inc2", inc1);
        Write("INSERT INTO items VALUES (999999, 'after every backup', 1)");

        Assert.Equal(("full-backuped", "incremental", "incremental"), (full.Metadata["backup_type"], inc1.Metadata["backup_type"], inc2.Metadata["backup_type"]));
        Assert.Equal(full.Metadata["to_lsn"], inc1.Metadata["from_lsn"]);
        Assert.Equal(inc1.Metadata["to_lsn"], inc2.Metadata["from_lsn"]);
        // Each backup first brought the checkpoint up to date, so each incremental starts where the writes before it ended.
        Assert.True(ulong.Parse(inc1.Metadata["to_lsn"]) > ulong.Parse(full.Metadata["to_lsn"]), "the checkpoint did not move between the backups");
        using (var admin = fixture.Admin())
            Assert.Equal("75.000000", admin.Query("SELECT @@GLOBAL.innodb_max_dirty_pages_pct")[0][0]);
        Assert.True(inc1.ToolBytes < full.ToolBytes / 4 && inc2.ToolBytes < full.ToolBytes / 4,
            $"the incrementals are not much smaller than the full backup: {inc1.ToolBytes} and {inc2.ToolBytes} bytes against {full.ToolBytes}");
        Assert.NotEqual(atInc1, atInc2);

        var watch = Stopwatch.StartNew();
        var (restoredAtInc1, log1) = await RestoreAsync(full, inc1);
        output.WriteLine($"restore full+inc1: {watch.Elapsed.TotalSeconds:0.00} s");
        watch.Restart();
        var (restoredAtInc2, log2) = await RestoreAsync(full, inc1, inc2);
        output.WriteLine($"restore full+inc1+inc2: {watch.Elapsed.TotalSeconds:0.00} s");

        Assert.Equal(atInc1, restoredAtInc1);
        Assert.Equal(atInc2, restoredAtInc2);
        Assert.Contains(log2, line => line.StartsWith($"mariadb: prepared from backup {inc2.Id} (3 layers)", StringComparison.Ordinal));
        Assert.Contains(log1, line => line.StartsWith($"mariadb: prepared from backup {inc1.Id} (2 layers)", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("incremental", "0", "incremental", "100", "is 'incremental'; a chain starts with a full backup")]
    [InlineData("full-backuped", "100", "full-backuped", "100", "is 'full-backuped'; a chain starts with a full backup followed by incrementals")]
    [InlineData("full-backuped", "100", "incremental", "200", "starts at LSN 200, not where backup b0 ends (100)")]
    public async Task Restore_OfAChainWhoseLayersDoNotFollowOneAnother_IsRefusedBeforeAnythingIsInstalled(
        string firstType, string firstToLsn, string secondType, string secondFromLsn, string reason)
    {
        using var instance = MariaDbInstance.Create();
        await using var restored = instance.CreateManager();
        var layers = new[]
        {
            receiver.Layer("b0", new Dictionary<string, string> { ["backup_type"] = firstType, ["from_lsn"] = "0", ["to_lsn"] = firstToLsn }),
            receiver.Layer("b1", new Dictionary<string, string> { ["backup_type"] = secondType, ["from_lsn"] = secondFromLsn, ["to_lsn"] = "300" }),
        };

        var error = await Assert.ThrowsAsync<HandlerException>(() => restored.PrepareAsync(new PrepareRequest("mariadb", "10.11", 512, 1, 1, [], [],
            Restore: new RestoreSource(BackupStrategies.MariaDbBackup, layers)), None));

        Assert.Equal(GuestErrorCodes.BadRequest, error.Code);
        Assert.Contains(reason, error.Message);
        Assert.False(Directory.Exists(MariaDbPaths.For(instance.Config.Paths).DataDirectory));
    }

    [Fact]
    public async Task Restore_OfAChainWithADamagedIncremental_FailsNamingIt_AndPreparesNothing()
    {
        var full = await BackUpAsync("dmg-full", parent: null);
        Write("CREATE TABLE IF NOT EXISTS dmg (v INT)", "INSERT INTO dmg VALUES (1)");
        var inc1 = await BackUpAsync("dmg-inc1", full);
        receiver.Damage[inc1.Id] = MariaDbBackupTests.Garble;
        using var instance = MariaDbInstance.Create();
        await using var restored = instance.CreateManager();

        var error = await Assert.ThrowsAsync<HandlerException>(() => restored.PrepareAsync(Restore(full, inc1), None));

        output.WriteLine(error.Message);
        Assert.StartsWith($"Restoring backup {inc1.Id} failed: ", error.Message);
        Assert.Contains($"backup {inc1.Id}", error.Message[$"Restoring backup {inc1.Id} failed: ".Length..]);
        Assert.False(restored.IsPrepared);
        Assert.Null(restored.Server.Supervisor);
        Assert.False(Directory.Exists(restored.Server.Paths.BackupScratch));
    }

    [Fact]
    public async Task Incremental_OnAParentWithoutAnLsn_IsRefused_AndLeavesNothingBehind()
    {
        var id = Guid.NewGuid().ToString();

        var error = await Assert.ThrowsAsync<HandlerException>(() => Manager.CreateBackupAsync(new CreateBackupRequest(id, BackupStrategies.MariaDbBackup,
            receiver.Upload(id), new BackupParent("p", new Dictionary<string, string> { ["to_lsn"] = "12; rm -rf /" })), None));

        Assert.Equal(GuestErrorCodes.BadRequest, error.Code);
        Assert.Contains("Backup p has no valid to_lsn", error.Message);
        Assert.DoesNotContain("rm -rf", error.Message);
        Assert.False(receiver.Uploads.ContainsKey(id));
        Assert.False(Directory.Exists(Manager.Server.Paths.BackupScratch));
        Assert.Equal(ServiceStatus.Healthy, await Manager.ProbeAsync(None));
    }

    private void Write(params string[] statements)
    {
        using var connection = fixture.ConnectTcp(MariaDbFixture.User, MariaDbFixture.Password, MariaDbFixture.Database);
        foreach (var sql in statements)
            connection.Execute(sql);
    }

    private async Task<Taken> BackUpAsync(string label, Taken? parent)
    {
        var id = Guid.NewGuid().ToString();
        var watch = Stopwatch.StartNew();
        var result = await Manager.CreateBackupAsync(new CreateBackupRequest(id, BackupStrategies.MariaDbBackup, receiver.Upload(id),
            parent is null ? null : new BackupParent(parent.Id, parent.Metadata)), None);
        var stored = new FileInfo(receiver.PathOf(id)).Length;
        output.WriteLine($"{label}: {watch.Elapsed.TotalSeconds:0.00} s, {result.ToolBytes} bytes from mariadb-backup, {stored} stored; " +
                         string.Join(", ", result.Metadata.Select(m => $"{m.Key}={m.Value}")));
        Assert.False(Directory.Exists(Manager.Server.Paths.BackupScratch));
        return new Taken(id, result.Metadata, result.ToolBytes, stored);
    }

    private async Task<(string Fingerprint, List<string> Log)> RestoreAsync(params Taken[] chain)
    {
        using var instance = MariaDbInstance.Create();
        await using var restored = instance.CreateManager();
        await restored.PrepareAsync(Restore(chain), None);
        Assert.Equal(ServiceStatus.Healthy, await restored.ProbeAsync(None));
        Assert.False(Directory.Exists(restored.Server.Paths.BackupScratch));
        using var connection = MariaDbConnection.OpenTcp(instance.Config.Address, instance.Config.Port, MariaDbFixture.User, NewPassword,
            TimeSpan.FromSeconds(10), MariaDbFixture.Database);
        return (Fingerprint(connection), [.. instance.LogLines]);
    }

    private PrepareRequest Restore(params Taken[] chain) => new("mariadb", "10.11", 512, 1, 1,
        [new DatabaseSpec(MariaDbFixture.Database)], [new UserSpec(MariaDbFixture.User, NewPassword, "%", [MariaDbFixture.Database])],
        Restore: new RestoreSource(BackupStrategies.MariaDbBackup, [.. chain.Select(t => receiver.Layer(t.Id, t.Metadata))]));

    /// <summary>Every table of the database with its row count and <c>CHECKSUM TABLE</c> (a checksum of every row's content).</summary>
    private static string Fingerprint(MariaDbConnection connection)
    {
        using (connection)
        {
            var tables = connection.Query("SHOW TABLES").Select(row => row[0]!).Order(StringComparer.Ordinal).ToList();
            return string.Join("; ", tables.Select(table =>
                $"{table}: {connection.Query($"SELECT COUNT(*) FROM `{table}`")[0][0]} rows, checksum {connection.Query($"CHECKSUM TABLE `{table}`")[0][1]}"));
        }
    }

    private sealed record Taken(string Id, IReadOnlyDictionary<string, string> Metadata, long ToolBytes, long Stored);
}
