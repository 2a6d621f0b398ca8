using System.Diagnostics;
using System.Text;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Backups;
using Hoard.Guest.Datastores.MariaDb;
using Hoard.Guest.Tests.Backups;
using Xunit.Abstractions;

namespace Hoard.Guest.Tests.Datastores.MariaDb;

/// <summary>
/// A logical backup of a real MariaDB with mariadb-dump, streamed to an in-test receiver, replayed into a second instance
/// by its prepare.
/// </summary>
public sealed class MariaDbDumpBackupTests(MariaDbFixture fixture, BackupReceiver receiver, ITestOutputHelper output)
    : IClassFixture<MariaDbFixture>, IClassFixture<BackupReceiver>
{
    private static readonly CancellationToken None = CancellationToken.None;
    private MariaDbManager Manager => fixture.Manager;

    [Fact]
    public async Task DumpAndRestore_BringBackTheData_Users_AndRoutines_AndTheGuestKeepsControl()
    {
        using (var connection = fixture.ConnectTcp(MariaDbFixture.User, MariaDbFixture.Password, MariaDbFixture.Database))
        {
            connection.Execute("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(64), price DECIMAL(10,2), raw VARBINARY(16))");
            connection.Execute("INSERT INTO items SELECT seq, CONCAT('item-', seq, '-ü€-', MD5(seq)), seq * 1.25, UNHEX(MD5(seq)) FROM seq_1_to_20000");
        }

        using (var admin = fixture.Admin())
        {
            admin.Execute("CREATE USER 'bob'@'%' IDENTIFIED BY 'Bob-Secret-7'");
            admin.Execute("GRANT SELECT, EXECUTE ON shop.* TO 'bob'@'%'");
            admin.Execute("CREATE VIEW shop.cheap AS SELECT id FROM shop.items WHERE price < 10");
            admin.Execute("CREATE FUNCTION shop.twice(x INT) RETURNS INT DETERMINISTIC RETURN x * 2");
        }

        var before = Fingerprint(MariaDbFixture.User, MariaDbFixture.Password);
        var sourceAdminPassword = Manager.Server.Credentials.Password;
        var id = Guid.NewGuid().ToString();

        var watch = Stopwatch.StartNew();
        var result = await Manager.CreateBackupAsync(new CreateBackupRequest(id, BackupStrategies.MariaDbDump, receiver.Upload(id)), None);
        var dumpTime = watch.Elapsed;
        var physicalId = Guid.NewGuid().ToString();
        watch.Restart();
        var physical = await Manager.CreateBackupAsync(new CreateBackupRequest(physicalId, BackupStrategies.MariaDbBackup, receiver.Upload(physicalId)), None);
        output.WriteLine($"mariadb-dump: {result.ToolBytes} bytes, {new FileInfo(receiver.PathOf(id)).Length} stored, {dumpTime.TotalSeconds:0.00} s; " +
            $"mariadb-backup: {physical.ToolBytes} bytes, {new FileInfo(receiver.PathOf(physicalId)).Length} stored, {watch.Elapsed.TotalSeconds:0.00} s");
        Assert.Equal("sql", result.Metadata["format"]);
        Assert.True(result.ToolBytes > new FileInfo(receiver.PathOf(id)).Length);
        Assert.Equal(ServiceStatus.Healthy, await Manager.ProbeAsync(None));

        using (var connection = fixture.ConnectTcp(MariaDbFixture.User, MariaDbFixture.Password, MariaDbFixture.Database))
        {
            connection.Execute("INSERT INTO items VALUES (0, 'after the backup', 1, NULL)");
            connection.Execute("CREATE TABLE later (v INT)");
        }

        using var instance = MariaDbInstance.Create();
        await using var restored = instance.CreateManager();
        watch.Restart();
        await restored.PrepareAsync(new PrepareRequest("mariadb", "10.11", 512, 1, 1,
            [new DatabaseSpec(MariaDbFixture.Database), new DatabaseSpec("fresh")],
            [new UserSpec(MariaDbFixture.User, "Alice-New-Secret-1", "%", [MariaDbFixture.Database, "fresh"]), new UserSpec("carol", "Carol-Secret-3", "%", ["fresh"])],
            Restore: new RestoreSource(BackupStrategies.MariaDbDump, [receiver.Layer(id, result.Metadata)])), None);
        output.WriteLine($"restore of the dump: {watch.Elapsed.TotalSeconds:0.00} s");

        Assert.True(restored.IsPrepared);
        Assert.Equal(ServiceStatus.Healthy, await restored.ProbeAsync(None));
        Assert.Equal(before, Fingerprint(MariaDbFixture.User, "Alice-New-Secret-1", instance));
        using (var bob = Connect(instance, "bob", "Bob-Secret-7"))
        {
            Assert.Empty(bob.Query("SHOW TABLES LIKE 'later'"));
            Assert.Equal("7", Assert.Single(bob.Query("SELECT COUNT(*) FROM cheap"))[0]);
            Assert.Equal("42", Assert.Single(bob.Query("SELECT twice(21)"))[0]);
        }

        using (Connect(instance, "carol", "Carol-Secret-3", "fresh"))
        {
        }

        Assert.Equal(["fresh", MariaDbFixture.Database], (await restored.GetUserAsync(new UserRef(MariaDbFixture.User), None)).Databases.Order());
        var refused = Assert.Throws<MariaDbException>(() =>
            MariaDbConnection.Open(restored.Server.Paths.Socket, MariaDbAdminCredentials.AdminUser, sourceAdminPassword, TimeSpan.FromSeconds(5)));
        Assert.Equal(MariaDbException.AccessDenied, refused.ErrorNumber);
        Assert.Contains(instance.LogLines, line => line.StartsWith($"mariadb: prepared from backup {id} (mariadb-dump)", StringComparison.Ordinal));

        await restored.CreateDatabasesAsync([new DatabaseSpec("afterwards")], None);
        Assert.Contains(await restored.ListDatabasesAsync(None), d => d.Name == "afterwards");
        await restored.RestartAsync(None);
        Assert.Equal(before, Fingerprint(MariaDbFixture.User, "Alice-New-Secret-1", instance));
    }

    [Fact]
    public async Task Dump_RefusesAParent_AChain_AndARestoreToAPointInTime()
    {
        var id = Guid.NewGuid().ToString();
        var incremental = await Assert.ThrowsAsync<HandlerException>(() => Manager.CreateBackupAsync(new CreateBackupRequest(id,
            BackupStrategies.MariaDbDump, receiver.Upload(id), new BackupParent("p", new Dictionary<string, string>())), None));
        Assert.Equal(GuestErrorCodes.NotSupported, incremental.Code);

        using var instance = MariaDbInstance.Create();
        await using var other = instance.CreateManager();
        var chain = await Assert.ThrowsAsync<HandlerException>(() => other.PrepareAsync(new PrepareRequest("mariadb", "10.11", 512, 1, 1, [], [],
            Restore: new RestoreSource(BackupStrategies.MariaDbDump, [receiver.Layer("a"), receiver.Layer("b")])), None));
        Assert.Equal(GuestErrorCodes.NotSupported, chain.Code);
        Assert.Contains("(mariadb-dump) are full backups only", chain.Message);
        var toATime = await Assert.ThrowsAsync<HandlerException>(() => other.PrepareAsync(new PrepareRequest("mariadb", "10.11", 512, 1, 1, [], [],
            Restore: new RestoreSource(BackupStrategies.MariaDbDump, [receiver.Layer("a")], new PointInTimeRecovery(DateTimeOffset.UnixEpoch, []))), None));
        Assert.Equal(GuestErrorCodes.BadRequest, toATime.Code);
        Assert.False(other.IsPrepared);
    }

    [Fact]
    public async Task Restore_OfATruncatedDump_FailsClearly_AndPreparesNothing()
    {
        var id = Guid.NewGuid().ToString();
        var result = await Manager.CreateBackupAsync(new CreateBackupRequest(id, BackupStrategies.MariaDbDump, receiver.Upload(id)), None);
        receiver.Damage[id] = bytes => bytes[..(bytes.Length / 2)];
        using var instance = MariaDbInstance.Create();
        await using var restored = instance.CreateManager();

        var error = await Assert.ThrowsAsync<HandlerException>(() => restored.PrepareAsync(new PrepareRequest("mariadb", "10.11", 512, 1, 1, [], [],
            Restore: new RestoreSource(BackupStrategies.MariaDbDump, [receiver.Layer(id, result.Metadata)])), None));

        output.WriteLine(error.Message);
        Assert.StartsWith($"Restoring backup {id} failed: ", error.Message);
        Assert.False(restored.IsPrepared);
    }

    [Fact]
    public async Task WithoutServerAccounts_LeavesOutOnlyTheAccountsTheNewServerMadeForItself()
    {
        const string script = "INSERT INTO `t` VALUES (1,'GRANT ALL TO `os_admin`@`localhost`');\n" +
                              "CREATE USER IF NOT EXISTS `os_admin`@`localhost` IDENTIFIED BY PASSWORD '*E65B';\n" +
                              "CREATE USER IF NOT EXISTS `bob`@`%` IDENTIFIED BY PASSWORD '*B6DC';\n" +
                              "GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` IDENTIFIED BY PASSWORD '*A4F7' WITH GRANT OPTION;\n" +
                              "GRANT PROXY ON ``@`%` TO `root`@`localhost` WITH GRANT OPTION;\n" +
                              "GRANT SELECT, DELETE ON `mysql`.`global_priv` TO `mariadb.sys`@`localhost`;\n" +
                              "/*M!100005 SET DEFAULT ROLE NONE FOR 'os_admin'@'localhost' */;\n" +
                              "GRANT SELECT ON `shop`.* TO `bob`@`%`;\n" +
                              "GRANT SELECT ON `shop`.* TO `os_admin`@`%`;";
        var into = new MemoryStream();

        await SqlScriptFilter.CopyAsync(new MemoryStream(Encoding.UTF8.GetBytes(script)), into, MariaDbDumpBackup.WithoutServerAccounts, None);

        Assert.Equal("INSERT INTO `t` VALUES (1,'GRANT ALL TO `os_admin`@`localhost`');\n" +
                     "CREATE USER IF NOT EXISTS `bob`@`%` IDENTIFIED BY PASSWORD '*B6DC';\n" +
                     "GRANT SELECT ON `shop`.* TO `bob`@`%`;\n" +
                     "GRANT SELECT ON `shop`.* TO `os_admin`@`%`;", Encoding.UTF8.GetString(into.ToArray()));
    }

    private string Fingerprint(string user, string password, MariaDbInstance? instance = null)
    {
        using var connection = instance is null ? fixture.ConnectTcp(user, password, MariaDbFixture.Database) : Connect(instance, user, password);
        var row = Assert.Single(connection.Query("SELECT COUNT(*), SUM(CRC32(CONCAT_WS('|', id, name, price, HEX(raw)))) FROM items"));
        return $"{row[0]} rows, checksum {row[1]}";
    }

    private static MariaDbConnection Connect(MariaDbInstance instance, string user, string password, string database = MariaDbFixture.Database) =>
        MariaDbConnection.OpenTcp(instance.Config.Address, instance.Config.Port, user, password, TimeSpan.FromSeconds(10), database);
}
