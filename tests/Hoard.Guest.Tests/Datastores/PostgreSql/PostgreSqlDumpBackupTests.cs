using System.Diagnostics;
using System.Text;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Backups;
using Hoard.Guest.Datastores.PostgreSql;
using Hoard.Guest.Tests.Backups;
using Npgsql;
using Xunit.Abstractions;

namespace Hoard.Guest.Tests.Datastores.PostgreSql;

/// <summary>
/// A logical backup of a real PostgreSQL with pg_dumpall, streamed to an in-test receiver, replayed with psql into a
/// second instance by its prepare.
/// </summary>
public sealed class PostgreSqlDumpBackupTests(PostgreSqlFixture fixture, BackupReceiver receiver, ITestOutputHelper output)
    : IClassFixture<PostgreSqlFixture>, IClassFixture<BackupReceiver>
{
    private static readonly CancellationToken None = CancellationToken.None;
    private PostgreSqlManager Manager => fixture.Manager;

    [Fact]
    public async Task DumpAndRestore_BringBackTheData_AndTheRoles_AndTheGuestKeepsControl()
    {
        await using (var connection = await fixture.ConnectTcpAsync(PostgreSqlFixture.User, PostgreSqlFixture.Password))
        {
            await ExecuteAsync(connection, "CREATE TABLE items (id INT PRIMARY KEY, name TEXT, price NUMERIC(10,2), raw BYTEA)");
            await ExecuteAsync(connection, "INSERT INTO items SELECT g, 'item-' || g || '-ü€-' || md5(g::text), g * 1.25, decode(md5(g::text), 'hex') FROM generate_series(1, 20000) g");
            await ExecuteAsync(connection, "CREATE VIEW cheap AS SELECT id FROM items WHERE price < 10");
            await ExecuteAsync(connection, "CREATE FUNCTION twice(x INT) RETURNS INT LANGUAGE sql IMMUTABLE AS 'SELECT x * 2'");
        }

        await using (var admin = await fixture.AdminAsync())
        {
            await ExecuteAsync(admin, "CREATE ROLE bob LOGIN PASSWORD 'Bob-Secret-7'");
            await ExecuteAsync(admin, "GRANT CONNECT ON DATABASE shop TO bob");
        }

        await using (var admin = await fixture.AdminAsync(PostgreSqlFixture.Database))
            await ExecuteAsync(admin, "GRANT SELECT ON items, cheap TO bob");

        var before = await FingerprintAsync(fixture.Instance, PostgreSqlFixture.User, PostgreSqlFixture.Password);
        var sourceAdminPassword = Manager.Server.Credentials.Password;
        var id = Guid.NewGuid().ToString();

        var watch = Stopwatch.StartNew();
        var result = await Manager.CreateBackupAsync(new CreateBackupRequest(id, BackupStrategies.PgDump, receiver.Upload(id)), None);
        var dumpTime = watch.Elapsed;
        var physicalId = Guid.NewGuid().ToString();
        watch.Restart();
        var physical = await Manager.CreateBackupAsync(new CreateBackupRequest(physicalId, BackupStrategies.PgBaseBackup, receiver.Upload(physicalId)), None);
        output.WriteLine($"pg_dumpall: {result.ToolBytes} bytes, {new FileInfo(receiver.PathOf(id)).Length} stored, {dumpTime.TotalSeconds:0.00} s; " +
            $"pg_basebackup: {physical.ToolBytes} bytes, {new FileInfo(receiver.PathOf(physicalId)).Length} stored, {watch.Elapsed.TotalSeconds:0.00} s");
        Assert.Equal("sql", result.Metadata["format"]);
        Assert.False(File.Exists(Manager.Server.Paths.BackupPassFile));
        Assert.Equal(ServiceStatus.Healthy, await Manager.ProbeAsync(None));

        await using (var connection = await fixture.ConnectTcpAsync(PostgreSqlFixture.User, PostgreSqlFixture.Password))
            await ExecuteAsync(connection, "CREATE TABLE later (v INT)");

        using var instance = PostgreSqlInstance.Create();
        await using var restored = instance.CreateManager();
        watch.Restart();
        await restored.PrepareAsync(new PrepareRequest("postgresql", "15", 512, 1, 1,
            [new DatabaseSpec(PostgreSqlFixture.Database), new DatabaseSpec("fresh")],
            [new UserSpec(PostgreSqlFixture.User, "Alice-New-Secret-1", "%", [PostgreSqlFixture.Database, "fresh"]), new UserSpec("carol", "Carol-Secret-3", "%", ["fresh"])],
            Restore: new RestoreSource(BackupStrategies.PgDump, [receiver.Layer(id, result.Metadata)])), None);
        output.WriteLine($"restore of the dump: {watch.Elapsed.TotalSeconds:0.00} s");

        Assert.True(restored.IsPrepared);
        Assert.False(File.Exists(restored.Server.Paths.BackupPassFile));
        Assert.Equal(ServiceStatus.Healthy, await restored.ProbeAsync(None));
        Assert.Equal(before, await FingerprintAsync(instance, PostgreSqlFixture.User, "Alice-New-Secret-1"));
        Assert.Equal(before, await FingerprintAsync(instance, "bob", "Bob-Secret-7"));
        await using (var bob = await instance.ConnectTcpAsync("bob", "Bob-Secret-7", PostgreSqlFixture.Database))
        {
            Assert.Equal(0L, await ScalarAsync(bob, "SELECT count(*) FROM pg_tables WHERE tablename = 'later'"));
            Assert.Equal(7L, await ScalarAsync(bob, "SELECT count(*) FROM cheap"));
            Assert.Equal(42, await ScalarAsync(bob, "SELECT twice(21)"));
        }

        await using (await instance.ConnectTcpAsync("carol", "Carol-Secret-3", "fresh"))
        {
        }

        Assert.Equal(["fresh", PostgreSqlFixture.Database], (await restored.GetUserAsync(new UserRef(PostgreSqlFixture.User), None)).Databases.Order());
        var refused = await Assert.ThrowsAsync<PostgresException>(() => OpenOverSocketAsync(instance, PostgreSqlAdminCredentials.AdminUser, sourceAdminPassword));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, refused.SqlState);
        Assert.Contains(instance.LogLines, line => line.StartsWith($"postgresql: prepared from backup {id} (pg_dump)", StringComparison.Ordinal));

        await restored.CreateDatabasesAsync([new DatabaseSpec("afterwards")], None);
        Assert.Contains(await restored.ListDatabasesAsync(None), d => d.Name == "afterwards");
        await restored.RestartAsync(None);
        Assert.Equal(before, await FingerprintAsync(instance, PostgreSqlFixture.User, "Alice-New-Secret-1"));
    }

    [Fact]
    public async Task Restore_OfADumpToAPointInTime_IsRefused()
    {
        using var instance = PostgreSqlInstance.Create();
        await using var other = instance.CreateManager();

        var error = await Assert.ThrowsAsync<HandlerException>(() => other.PrepareAsync(new PrepareRequest("postgresql", "15", 512, 1, 1, [], [],
            Restore: new RestoreSource(BackupStrategies.PgDump, [receiver.Layer("a")],
                new PointInTimeRecovery(DateTimeOffset.UnixEpoch, []))), None));

        Assert.Equal(GuestErrorCodes.BadRequest, error.Code);
        Assert.False(other.IsPrepared);
    }

    [Fact]
    public async Task WithoutGuestRoles_LeavesOutOnlyTheGuestsOwnRoles_BeforeTheFirstConnect()
    {
        const string script = "CREATE ROLE \"bob\";\nALTER ROLE \"bob\" WITH LOGIN PASSWORD 'x';\nCREATE ROLE \"os_admin\";\n" +
                              "ALTER ROLE \"os_admin\" WITH SUPERUSER PASSWORD 'secret';\nCREATE ROLE postgres;\nALTER ROLE postgres WITH SUPERUSER;\n" +
                              "\\connect template1\nALTER ROLE \"os_admin\" WITH LOGIN;\nlast line without newline";
        var into = new MemoryStream();

        await SqlScriptFilter.CopyAsync(new MemoryStream(Encoding.UTF8.GetBytes(script)), into, PostgreSqlDumpBackup.WithoutGuestRoles, None);

        Assert.Equal("CREATE ROLE \"bob\";\nALTER ROLE \"bob\" WITH LOGIN PASSWORD 'x';\n\\connect template1\nALTER ROLE \"os_admin\" WITH LOGIN;\nlast line without newline",
            Encoding.UTF8.GetString(into.ToArray()));
    }

    private static async Task<string> FingerprintAsync(PostgreSqlInstance instance, string user, string password)
    {
        await using var connection = await instance.ConnectTcpAsync(user, password, PostgreSqlFixture.Database);
        return (string)(await ScalarAsync(connection,
            "SELECT count(*) || ' rows, md5 ' || md5(string_agg(id || '|' || name || '|' || price || '|' || encode(raw, 'hex'), ',' ORDER BY id)) FROM items"))!;
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

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
