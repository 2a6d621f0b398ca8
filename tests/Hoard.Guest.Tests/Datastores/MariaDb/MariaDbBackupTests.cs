using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.MariaDb;
using Hoard.Guest.Tests.Backups;
using Xunit.Abstractions;

namespace Hoard.Guest.Tests.Datastores.MariaDb;

/// <summary>
/// A backup of a real MariaDB with mariadb-backup, streamed to an in-test receiver, restored into a second instance
/// by its prepare.
/// </summary>
public sealed class MariaDbBackupTests(MariaDbFixture fixture, BackupReceiver receiver, ITestOutputHelper output)
    : IClassFixture<MariaDbFixture>, IClassFixture<BackupReceiver>
{
    private static readonly CancellationToken None = CancellationToken.None;
    private MariaDbManager Manager => fixture.Manager;

    [Fact]
    public async Task BackupAndRestore_BringBackExactlyTheBackedUpData_UnderTheNewGuestsControl()
    {
        using (var connection = fixture.ConnectTcp(MariaDbFixture.User, MariaDbFixture.Password, MariaDbFixture.Database))
        {
            connection.Execute("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(64), price DECIMAL(10,2))");
            connection.Execute("INSERT INTO items SELECT seq, CONCAT('item-', seq, '-', MD5(seq)), seq * 1.25 FROM seq_1_to_20000");
        }

        using (var admin = fixture.Admin())
        {
            admin.Execute("CREATE USER 'bob'@'%' IDENTIFIED BY 'Bob-Secret-7'");
            admin.Execute("GRANT SELECT ON shop.* TO 'bob'@'%'");
        }

        var before = Fingerprint(MariaDbFixture.User, MariaDbFixture.Password);
        var sourceAdminPassword = Manager.Server.Credentials.Password;
        var id = Guid.NewGuid().ToString();

        var result = await Manager.CreateBackupAsync(new CreateBackupRequest(id, BackupStrategies.MariaDbBackup, receiver.Upload(id)), None);

        output.WriteLine($"backup: {result.ToolBytes} bytes from mariadb-backup, {new FileInfo(receiver.PathOf(id)).Length} stored; " +
            string.Join(", ", result.Metadata.Select(m => $"{m.Key}={m.Value}")));
        Assert.True(result.ToolBytes > new FileInfo(receiver.PathOf(id)).Length);
        Assert.True(long.Parse(result.Metadata["to_lsn"]) > 0);
        Assert.Equal("full-backuped", result.Metadata["backup_type"]);
        Assert.False(Directory.Exists(Manager.Server.Paths.BackupScratch));
        Assert.Equal(ServiceStatus.Healthy, await Manager.ProbeAsync(None));

        using (var connection = fixture.ConnectTcp(MariaDbFixture.User, MariaDbFixture.Password, MariaDbFixture.Database))
        {
            connection.Execute("INSERT INTO items VALUES (20001, 'after the backup', 1)");
            connection.Execute("UPDATE items SET price = 0 WHERE id = 1");
            connection.Execute("CREATE TABLE later (v INT)");
        }

        using var instance = MariaDbInstance.Create();
        await using var restored = instance.CreateManager();
        await restored.PrepareAsync(new PrepareRequest("mariadb", "10.11", 512, 1, 1,
            [new DatabaseSpec(MariaDbFixture.Database), new DatabaseSpec("fresh")],
            [new UserSpec(MariaDbFixture.User, "Alice-New-Secret-1", "%", [MariaDbFixture.Database, "fresh"])],
            Restore: new RestoreSource(BackupStrategies.MariaDbBackup, [receiver.Layer(id, result.Metadata)])), None);

        Assert.True(restored.IsPrepared);
        Assert.Equal(ServiceStatus.Healthy, await restored.ProbeAsync(None));
        Assert.Equal(before, Fingerprint(MariaDbFixture.User, "Alice-New-Secret-1", instance));
        using (var bob = Connect(instance, "bob", "Bob-Secret-7"))
        {
            Assert.Empty(bob.Query("SHOW TABLES LIKE 'later'"));
        }

        Assert.Contains(await restored.ListDatabasesAsync(None), d => d.Name == "fresh");
        Assert.Equal(["fresh", MariaDbFixture.Database], (await restored.GetUserAsync(new UserRef(MariaDbFixture.User), None)).Databases.Order());
        var refused = Assert.Throws<MariaDbException>(() =>
            MariaDbConnection.Open(restored.Server.Paths.Socket, MariaDbAdminCredentials.AdminUser, sourceAdminPassword, TimeSpan.FromSeconds(5)));
        Assert.Equal(MariaDbException.AccessDenied, refused.ErrorNumber);
        Assert.Contains(instance.LogLines, line => line.StartsWith($"mariadb: prepared from backup {id}", StringComparison.Ordinal));

        await restored.RestartAsync(None);
        Assert.Equal(before, Fingerprint(MariaDbFixture.User, "Alice-New-Secret-1", instance));
    }

    [Fact]
    public async Task Backup_WithAWrongToken_FailsClearly()
    {
        var id = Guid.NewGuid().ToString();

        var error = await Assert.ThrowsAsync<HandlerException>(() =>
            Manager.CreateBackupAsync(new CreateBackupRequest(id, BackupStrategies.MariaDbBackup, receiver.Upload(id, token: "not-the-token")), None));

        Assert.Contains($"hoard-server refused the upload of backup {id}: HTTP 403", error.Message);
        Assert.DoesNotContain("not-the-token", error.Message);
        Assert.False(Directory.Exists(Manager.Server.Paths.BackupScratch));
        Assert.Equal(ServiceStatus.Healthy, await Manager.ProbeAsync(None));
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("garbled")]
    public async Task Restore_OfADamagedDownload_FailsClearly_AndPreparesNothing(string damage)
    {
        var id = Guid.NewGuid().ToString();
        var result = await Manager.CreateBackupAsync(new CreateBackupRequest(id, BackupStrategies.MariaDbBackup, receiver.Upload(id)), None);
        receiver.Damage[id] = damage == "truncated" ? bytes => bytes[..(bytes.Length / 2)] : Garble;
        using var instance = MariaDbInstance.Create();
        await using var restored = instance.CreateManager();

        var error = await Assert.ThrowsAsync<HandlerException>(() => restored.PrepareAsync(new PrepareRequest("mariadb", "10.11", 512, 1, 1, [], [],
            Restore: new RestoreSource(BackupStrategies.MariaDbBackup, [receiver.Layer(id, result.Metadata)])), None));

        output.WriteLine(error.Message);
        Assert.StartsWith($"Restoring backup {id} failed: ", error.Message);
        Assert.False(restored.IsPrepared);
        Assert.Null(restored.Server.Supervisor);
    }

    [Fact]
    public async Task Restore_RefusesAnotherDatastoresStrategy()
    {
        using var instance = MariaDbInstance.Create();
        await using var other = instance.CreateManager();

        var restore = await Assert.ThrowsAsync<HandlerException>(() => other.PrepareAsync(new PrepareRequest("mariadb", "10.11", 512, 1, 1, [], [],
            Restore: new RestoreSource(BackupStrategies.PgBaseBackup, [receiver.Layer("x")])), None));

        Assert.Equal(GuestErrorCodes.NotSupported, restore.Code);
        Assert.Contains("'mariadb-backup', not 'pg_basebackup'", restore.Message);
        Assert.False(Directory.Exists(MariaDbPaths.For(instance.Config.Paths).DataDirectory));
    }

    /// <summary>Row count and a checksum over every row's content.</summary>
    private string Fingerprint(string user, string password, MariaDbInstance? instance = null)
    {
        using var connection = instance is null ? fixture.ConnectTcp(user, password, MariaDbFixture.Database) : Connect(instance, user, password);
        var row = Assert.Single(connection.Query("SELECT COUNT(*), SUM(CRC32(CONCAT_WS('|', id, name, price))) FROM items"));
        return $"{row[0]} rows, checksum {row[1]}";
    }

    private static MariaDbConnection Connect(MariaDbInstance instance, string user, string password) =>
        MariaDbConnection.OpenTcp(instance.Config.Address, instance.Config.Port, user, password, TimeSpan.FromSeconds(10), MariaDbFixture.Database);

    internal static byte[] Garble(byte[] bytes)
    {
        var copy = (byte[])bytes.Clone();
        for (var i = copy.Length / 2; i < copy.Length / 2 + 64 && i < copy.Length; i++)
            copy[i] ^= 0x5A;
        return copy;
    }
}
