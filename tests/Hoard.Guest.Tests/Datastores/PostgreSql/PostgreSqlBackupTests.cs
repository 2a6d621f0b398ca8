using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.PostgreSql;
using Hoard.Guest.Tests.Backups;
using Hoard.Guest.Tests.Datastores.MariaDb;
using Npgsql;
using Xunit.Abstractions;

namespace Hoard.Guest.Tests.Datastores.PostgreSql;

/// <summary>
/// A backup of a real PostgreSQL with pg_basebackup, streamed to an in-test receiver, restored into a second instance
/// by its prepare.
/// </summary>
public sealed class PostgreSqlBackupTests(PostgreSqlFixture fixture, BackupReceiver receiver, ITestOutputHelper output)
    : IClassFixture<PostgreSqlFixture>, IClassFixture<BackupReceiver>
{
    private static readonly CancellationToken None = CancellationToken.None;
    private PostgreSqlManager Manager => fixture.Manager;

    [Fact]
    public async Task BackupAndRestore_BringBackExactlyTheBackedUpData_UnderTheNewGuestsControl()
    {
        await using (var connection = await fixture.ConnectTcpAsync(PostgreSqlFixture.User, PostgreSqlFixture.Password))
        {
            await ExecuteAsync(connection, "CREATE TABLE items (id INT PRIMARY KEY, name TEXT, price NUMERIC(10,2))");
            await ExecuteAsync(connection, "INSERT INTO items SELECT g, 'item-' || g || '-' || md5(g::text), g * 1.25 FROM generate_series(1, 20000) g");
        }

        await using (var admin = await fixture.AdminAsync())
        {
            await ExecuteAsync(admin, "CREATE ROLE bob LOGIN PASSWORD 'Bob-Secret-7'");
            await ExecuteAsync(admin, "GRANT CONNECT ON DATABASE shop TO bob");
        }

        await using (var admin = await fixture.AdminAsync(PostgreSqlFixture.Database))
            await ExecuteAsync(admin, "GRANT SELECT ON items TO bob");

        var before = await FingerprintAsync(fixture.Instance, PostgreSqlFixture.User, PostgreSqlFixture.Password);
        var sourceAdminPassword = Manager.Server.Credentials.Password;
        var id = Guid.NewGuid().ToString();

        var result = await Manager.CreateBackupAsync(new CreateBackupRequest(id, BackupStrategies.PgBaseBackup, receiver.Upload(id)), None);

        output.WriteLine($"backup: {result.ToolBytes} bytes from pg_basebackup, {new FileInfo(receiver.PathOf(id)).Length} stored; " +
            string.Join(", ", result.Metadata.Select(m => $"{m.Key}={m.Value}")));
        Assert.True(result.ToolBytes > new FileInfo(receiver.PathOf(id)).Length);
        Assert.StartsWith("15.", result.Metadata["server_version"]);
        Assert.False(File.Exists(Manager.Server.Paths.BackupPassFile));
        Assert.Equal(ServiceStatus.Healthy, await Manager.ProbeAsync(None));

        await using (var connection = await fixture.ConnectTcpAsync(PostgreSqlFixture.User, PostgreSqlFixture.Password))
        {
            await ExecuteAsync(connection, "INSERT INTO items VALUES (20001, 'after the backup', 1)");
            await ExecuteAsync(connection, "UPDATE items SET price = 0 WHERE id = 1");
            await ExecuteAsync(connection, "CREATE TABLE later (v INT)");
        }

        using var instance = PostgreSqlInstance.Create();
        await using var restored = instance.CreateManager();
        await restored.PrepareAsync(new PrepareRequest("postgresql", "15", 512, 1, 1,
            [new DatabaseSpec(PostgreSqlFixture.Database), new DatabaseSpec("fresh")],
            [new UserSpec(PostgreSqlFixture.User, "Alice-New-Secret-1", "%", [PostgreSqlFixture.Database, "fresh"])],
            Restore: new RestoreSource(BackupStrategies.PgBaseBackup, [receiver.Layer(id, result.Metadata)])), None);

        Assert.True(restored.IsPrepared);
        Assert.Equal(ServiceStatus.Healthy, await restored.ProbeAsync(None));
        Assert.Equal(before, await FingerprintAsync(instance, PostgreSqlFixture.User, "Alice-New-Secret-1"));
        Assert.Equal(before, await FingerprintAsync(instance, "bob", "Bob-Secret-7"));
        await using (var bob = await instance.ConnectTcpAsync("bob", "Bob-Secret-7", PostgreSqlFixture.Database))
        {
            await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_tables WHERE tablename = 'later'", bob);
            Assert.Equal(0L, await command.ExecuteScalarAsync());
        }

        Assert.Contains(await restored.ListDatabasesAsync(None), d => d.Name == "fresh");
        Assert.Equal(["fresh", PostgreSqlFixture.Database], (await restored.GetUserAsync(new UserRef(PostgreSqlFixture.User), None)).Databases.Order());
        var refused = await Assert.ThrowsAsync<PostgresException>(() => OpenOverSocketAsync(instance, PostgreSqlAdminCredentials.AdminUser, sourceAdminPassword));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, refused.SqlState);
        Assert.Contains(instance.LogLines, line => line.StartsWith($"postgresql: prepared from backup {id}", StringComparison.Ordinal));

        await restored.RestartAsync(None);
        Assert.Equal(before, await FingerprintAsync(instance, PostgreSqlFixture.User, "Alice-New-Secret-1"));
    }

    [Fact]
    public async Task Backup_WithAWrongToken_FailsClearly()
    {
        var id = Guid.NewGuid().ToString();

        var error = await Assert.ThrowsAsync<HandlerException>(() =>
            Manager.CreateBackupAsync(new CreateBackupRequest(id, BackupStrategies.PgBaseBackup, receiver.Upload(id, token: "not-the-token")), None));

        Assert.Contains($"hoard-server refused the upload of backup {id}: HTTP 403", error.Message);
        Assert.DoesNotContain("not-the-token", error.Message);
        Assert.False(File.Exists(Manager.Server.Paths.BackupPassFile));
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("garbled")]
    public async Task Restore_OfADamagedDownload_FailsClearly_AndPreparesNothing(string damage)
    {
        var id = Guid.NewGuid().ToString();
        var result = await Manager.CreateBackupAsync(new CreateBackupRequest(id, BackupStrategies.PgBaseBackup, receiver.Upload(id)), None);
        receiver.Damage[id] = damage == "truncated" ? bytes => bytes[..(bytes.Length / 2)] : MariaDbBackupTests.Garble;
        using var instance = PostgreSqlInstance.Create();
        await using var restored = instance.CreateManager();

        var error = await Assert.ThrowsAsync<HandlerException>(() => restored.PrepareAsync(new PrepareRequest("postgresql", "15", 512, 1, 1, [], [],
            Restore: new RestoreSource(BackupStrategies.PgBaseBackup, [receiver.Layer(id, result.Metadata)])), None));

        output.WriteLine(error.Message);
        Assert.StartsWith($"Restoring backup {id} failed: ", error.Message);
        Assert.False(restored.IsPrepared);
        Assert.Null(restored.Server.Supervisor);
    }

    private static async Task<string> FingerprintAsync(PostgreSqlInstance instance, string user, string password)
    {
        await using var connection = await instance.ConnectTcpAsync(user, password, PostgreSqlFixture.Database);
        await using var command = new NpgsqlCommand("SELECT count(*) || ' rows, md5 ' || md5(string_agg(id || '|' || name || '|' || price, ',' ORDER BY id)) FROM items", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<NpgsqlConnection> OpenOverSocketAsync(PostgreSqlInstance instance, string user, string password)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = instance.Config.Paths.Run, Port = instance.Config.Port, Username = user, Password = password, Database = "postgres", Pooling = false,
        };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
