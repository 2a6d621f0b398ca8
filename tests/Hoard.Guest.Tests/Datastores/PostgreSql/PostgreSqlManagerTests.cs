using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.PostgreSql;
using Npgsql;

namespace Hoard.Guest.Tests.Datastores.PostgreSql;

/// <summary>Databases, users, access and root against a real PostgreSQL prepared by the manager.</summary>
public sealed class PostgreSqlManagerTests(PostgreSqlFixture fixture) : IClassFixture<PostgreSqlFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;
    private PostgreSqlManager Manager => fixture.Manager;

    [Fact]
    public async Task Prepare_IsRecordedAndHealthy()
    {
        Assert.True(Manager.IsPrepared);
        Assert.Equal(ServiceStatus.Healthy, await Manager.ProbeAsync(None));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Manager.Server.Paths.AdminCredentials));
    }

    [Fact]
    public async Task SampleMetrics_CountsAnOpenClient_ItsTransactions_AndTheServersMemory()
    {
        var before = await Manager.SampleMetricsAsync(None);
        await using var connection = await fixture.ConnectTcpAsync(PostgreSqlFixture.User, PostgreSqlFixture.Password);
        for (var i = 0; i < 5; i++)
            await ExecuteAsync(connection, "SELECT 1");

        var after = await Manager.SampleMetricsAsync(None);
        Assert.True(after!.Connections >= before!.Connections + 1, $"{before} → {after}");
        Assert.True(after.MemoryBytes > 1 << 20, $"{after}");
        // Backends hand their statistics over about once a second.
        await Poll.UntilAsync(async () => (await Manager.SampleMetricsAsync(None))!.QueriesTotal >= before.QueriesTotal + 5,
            $"pg_stat_database never counted 5 more transactions than {before.QueriesTotal}", 10);
    }

    [Fact]
    public async Task PreparedUser_CreatesAndReadsATableOverTcp()
    {
        await using var connection = await fixture.ConnectTcpAsync(PostgreSqlFixture.User, PostgreSqlFixture.Password);

        await ExecuteAsync(connection, "CREATE TABLE prepared_check (id INT PRIMARY KEY, name TEXT)");
        await ExecuteAsync(connection, "INSERT INTO prepared_check VALUES (1, 'ünïcödé')");

        Assert.Equal("1|ünïcödé", await ScalarAsync(connection, "SELECT id || '|' || name FROM prepared_check"));
        Assert.Equal("alice", await ScalarAsync(connection, "SELECT current_user"));
    }

    [Fact]
    public async Task PreparedUser_CannotReachOtherDatabasesOrBecomeSuperuser()
    {
        await Manager.CreateDatabasesAsync([new DatabaseSpec("private_db")], None);

        var other = await Assert.ThrowsAsync<PostgresException>(() => fixture.ConnectTcpAsync(PostgreSqlFixture.User, PostgreSqlFixture.Password, "private_db"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, other.SqlState);
        var maintenance = await Assert.ThrowsAsync<PostgresException>(() => fixture.ConnectTcpAsync(PostgreSqlFixture.User, PostgreSqlFixture.Password, "postgres"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, maintenance.SqlState);
        await using var connection = await fixture.ConnectTcpAsync(PostgreSqlFixture.User, PostgreSqlFixture.Password);
        Assert.Equal("False", await ScalarAsync(connection, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"));
        await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(connection, "CREATE DATABASE sneaky"));
    }

    [Fact]
    public async Task Hba_HasNoTrustAndKeepsSuperusersOffTcp()
    {
        await using var admin = await fixture.AdminAsync();
        var rules = await QueryAsync(admin, "SELECT type || ' ' || array_to_string(user_name, ',') || ' ' || auth_method FROM pg_hba_file_rules ORDER BY line_number");

        Assert.DoesNotContain(rules, rule => rule.Contains("trust", StringComparison.Ordinal));
        Assert.Contains("local os_admin scram-sha-256", rules);
        Assert.Contains("host postgres reject", rules);
        Assert.DoesNotContain("trust", await File.ReadAllTextAsync(Manager.Server.Paths.HbaFile), StringComparison.Ordinal);
        foreach (var user in new[] { "postgres", "os_admin" })
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => fixture.ConnectTcpAsync(user, "anything", "postgres"));
            Assert.Equal(PostgresErrorCodes.InvalidAuthorizationSpecification, error.SqlState);
        }

        var wrong = await Assert.ThrowsAsync<PostgresException>(() => fixture.ConnectTcpAsync(PostgreSqlFixture.User, "wrong-password"));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, wrong.SqlState);
    }

    [Fact]
    public async Task Server_RunsWithTheFlavorSettings()
    {
        await using var admin = await fixture.AdminAsync();

        var row = await ScalarAsync(admin,
            "SELECT current_setting('listen_addresses') || '|' || current_setting('port') || '|' || current_setting('shared_buffers') " +
            "|| '|' || current_setting('max_connections') || '|' || current_setting('password_encryption')");

        Assert.Equal($"127.0.0.1|{fixture.Instance.Config.Port}|76MB|51|scram-sha-256", row);
    }

    [Fact]
    public async Task Databases_CanBeCreatedListedAndDeleted()
    {
        await Manager.CreateDatabasesAsync([new DatabaseSpec("db_one"), new DatabaseSpec("db two", "LATIN1"), new DatabaseSpec("db_c", "UTF8", "C")], None);

        var databases = await Manager.ListDatabasesAsync(None);
        Assert.Contains(new DatabaseSpec("db_one", "UTF8", "C.UTF-8"), databases);
        Assert.Contains(new DatabaseSpec("db two", "LATIN1", "C"), databases);
        Assert.Contains(new DatabaseSpec("db_c", "UTF8", "C"), databases);
        Assert.DoesNotContain(databases, d => PostgreSqlNames.IsReservedDatabase(d.Name));

        foreach (var name in new[] { "db_one", "db two", "db_c" })
            await Manager.DeleteDatabaseAsync(name, None);
        Assert.DoesNotContain(await Manager.ListDatabasesAsync(None), d => d.Name is "db_one" or "db two" or "db_c");
    }

    [Fact]
    public async Task CreateDatabases_WithAnExistingName_CreatesNone()
    {
        await Manager.CreateDatabasesAsync([new DatabaseSpec("dup_existing")], None);

        var error = await Assert.ThrowsAsync<HandlerException>(() =>
            Manager.CreateDatabasesAsync([new DatabaseSpec("dup_new"), new DatabaseSpec("dup_existing")], None));

        Assert.Equal(GuestErrorCodes.DatabaseAlreadyExists, error.Code);
        Assert.DoesNotContain(await Manager.ListDatabasesAsync(None), d => d.Name == "dup_new");
    }

    [Theory]
    [InlineData("KLINGON", null)]
    [InlineData("LATIN1", "C.UTF-8")]
    [InlineData(null, "xx_XX.nothing")]
    public async Task CreateDatabases_WithAnUnknownOrMismatchedEncoding_IsABadRequestAndCreatesNone(string? encoding, string? collation)
    {
        var error = await Assert.ThrowsAsync<HandlerException>(() =>
            Manager.CreateDatabasesAsync([new DatabaseSpec("enc_first"), new DatabaseSpec("enc_second", encoding, collation)], None));

        Assert.Equal(GuestErrorCodes.BadRequest, error.Code);
        Assert.DoesNotContain(await Manager.ListDatabasesAsync(None), d => d.Name is "enc_first" or "enc_second");
    }

    [Theory]
    [InlineData("postgres")]
    [InlineData("template1")]
    [InlineData("x\"; DROP DATABASE shop; --")]
    [InlineData("a_name_that_is_much_too_long_for_postgresql_identifiers_0123456789")]
    public async Task CreateDatabases_WithAReservedOrInvalidName_IsABadRequest(string name)
    {
        var error = await Assert.ThrowsAsync<HandlerException>(() => Manager.CreateDatabasesAsync([new DatabaseSpec(name)], None));
        Assert.Equal(GuestErrorCodes.BadRequest, error.Code);
    }

    [Fact]
    public async Task DeleteDatabase_ThatDoesNotExist_IsNotFound()
    {
        var error = await Assert.ThrowsAsync<HandlerException>(() => Manager.DeleteDatabaseAsync("never_created", None));
        Assert.Equal(GuestErrorCodes.DatabaseNotFound, error.Code);
    }

    [Fact]
    public async Task DeleteDatabase_WithAnOpenConnection_EndsTheSessionAndDropsIt()
    {
        await Manager.CreateDatabasesAsync([new DatabaseSpec("busy_db")], None);
        await Manager.CreateUsersAsync([new UserSpec("busy_user", "Busy-pass-1", "%", ["busy_db"])], None);
        await using var connection = await fixture.ConnectTcpAsync("busy_user", "Busy-pass-1", "busy_db");
        await using (var transaction = await connection.BeginTransactionAsync())
            await ExecuteAsync(connection, "CREATE TABLE held (id INT)");

        await Manager.DeleteDatabaseAsync("busy_db", None);

        Assert.DoesNotContain(await Manager.ListDatabasesAsync(None), d => d.Name == "busy_db");
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => ScalarAsync(connection, "SELECT 1"));
        Assert.Empty((await Manager.GetUserAsync(new UserRef("busy_user"), None)).Databases);
    }

    [Fact]
    public async Task Users_CanBeCreatedListedAndFetched()
    {
        await Manager.CreateDatabasesAsync([new DatabaseSpec("users_db")], None);

        await Manager.CreateUsersAsync([new UserSpec("bob", "Bob-pass-1", "%", ["users_db"]), new UserSpec("carol", "Carol-pass-1")], None);

        var users = await Manager.ListUsersAsync(None);
        Assert.Contains(users, u => u is { Name: "bob", Host: "%" } && u.Databases.SequenceEqual(["users_db"]));
        Assert.Contains(users, u => u is { Name: "carol", Host: "%" } && u.Databases.Count == 0);
        Assert.Contains(users, u => u.Name == PostgreSqlFixture.User && u.Databases.SequenceEqual([PostgreSqlFixture.Database]));
        Assert.DoesNotContain(users, u => PostgreSqlNames.IsReservedUser(u.Name));
        var bob = await Manager.GetUserAsync(new UserRef("bob"), None);
        Assert.Equal(["users_db"], bob.Databases);
        await using var connection = await fixture.ConnectTcpAsync("bob", "Bob-pass-1", "users_db");
        await ExecuteAsync(connection, "CREATE TABLE bobs (id INT)");
    }

    [Fact]
    public async Task CreateUsers_WhenOneExists_CreatesNone()
    {
        await Manager.CreateUsersAsync([new UserSpec("dave", "Dave-pass-1")], None);

        var error = await Assert.ThrowsAsync<HandlerException>(() =>
            Manager.CreateUsersAsync([new UserSpec("erin", "Erin-pass-1"), new UserSpec("dave", "Dave-pass-2")], None));

        Assert.Equal(GuestErrorCodes.UserAlreadyExists, error.Code);
        Assert.DoesNotContain(await Manager.ListUsersAsync(None), u => u.Name == "erin");
    }

    [Fact]
    public async Task CreateUsers_WithAMissingDatabase_IsNotFoundAndCreatesNone()
    {
        var error = await Assert.ThrowsAsync<HandlerException>(() =>
            Manager.CreateUsersAsync([new UserSpec("frank", "Frank-pass-1", "%", ["no_such_db"])], None));

        Assert.Equal(GuestErrorCodes.DatabaseNotFound, error.Code);
        Assert.DoesNotContain(await Manager.ListUsersAsync(None), u => u.Name == "frank");
    }

    [Theory]
    [InlineData("root", "Some-pass-1", "%")]
    [InlineData("os_admin", "Some-pass-1", "%")]
    [InlineData("postgres", "Some-pass-1", "%")]
    [InlineData("pg_monitor2", "Some-pass-1", "%")]
    [InlineData("quote\"name", "Some-pass-1", "%")]
    [InlineData("gina", "has'quote", "%")]
    [InlineData("gina", "back\\slash", "%")]
    [InlineData("gina", "Some-pass-1", "10.0.0.1")]
    public async Task CreateUsers_WithAReservedOrInvalidNamePasswordOrHost_IsABadRequest(string name, string password, string host)
    {
        var error = await Assert.ThrowsAsync<HandlerException>(() => Manager.CreateUsersAsync([new UserSpec(name, password, host)], None));
        Assert.Equal(GuestErrorCodes.BadRequest, error.Code);
        Assert.DoesNotContain(await Manager.ListUsersAsync(None), u => u.Name == "gina");
    }

    [Fact]
    public async Task GetUser_ThatDoesNotExistOrIsTheGuests_IsNotFound()
    {
        var error = await Assert.ThrowsAsync<HandlerException>(() => Manager.GetUserAsync(new UserRef("nobody"), None));
        Assert.Equal(GuestErrorCodes.UserNotFound, error.Code);
        var hidden = await Assert.ThrowsAsync<HandlerException>(() => Manager.GetUserAsync(new UserRef("os_admin"), None));
        Assert.Equal(GuestErrorCodes.UserNotFound, hidden.Code);
    }

    [Fact]
    public async Task UpdateUserAttributes_RenamesAndChangesThePassword()
    {
        await Manager.CreateDatabasesAsync([new DatabaseSpec("rename_db")], None);
        await Manager.CreateUsersAsync([new UserSpec("hank", "Hank-pass-1", "%", ["rename_db"])], None);

        await Manager.UpdateUserAttributesAsync(new UserAttributes("hank", "%", "henry", null, null), None);
        await using (var renamed = await fixture.ConnectTcpAsync("henry", "Hank-pass-1", "rename_db"))
            Assert.Equal("henry", await ScalarAsync(renamed, "SELECT current_user"));
        await Manager.UpdateUserAttributesAsync(new UserAttributes("henry", "%", null, "Henry-pass-2", null), None);

        await using (var connection = await fixture.ConnectTcpAsync("henry", "Henry-pass-2", "rename_db"))
            Assert.Equal("henry", await ScalarAsync(connection, "SELECT current_user"));
        Assert.Equal(["rename_db"], (await Manager.GetUserAsync(new UserRef("henry"), None)).Databases);
        var gone = await Assert.ThrowsAsync<HandlerException>(() => Manager.GetUserAsync(new UserRef("hank"), None));
        Assert.Equal(GuestErrorCodes.UserNotFound, gone.Code);
    }

    [Fact]
    public async Task UpdateUserAttributes_ToATakenNameOrAHost_IsRefused()
    {
        await Manager.CreateUsersAsync([new UserSpec("ivy", "Ivy-pass-1"), new UserSpec("jack", "Jack-pass-1")], None);

        var taken = await Assert.ThrowsAsync<HandlerException>(() =>
            Manager.UpdateUserAttributesAsync(new UserAttributes("ivy", "%", "jack", null, null), None));
        Assert.Equal(GuestErrorCodes.UserAlreadyExists, taken.Code);
        var host = await Assert.ThrowsAsync<HandlerException>(() =>
            Manager.UpdateUserAttributesAsync(new UserAttributes("ivy", "%", null, null, "10.0.0.1"), None));
        Assert.Equal(GuestErrorCodes.BadRequest, host.Code);
        var missing = await Assert.ThrowsAsync<HandlerException>(() =>
            Manager.UpdateUserAttributesAsync(new UserAttributes("nobody", "%", "somebody", null, null), None));
        Assert.Equal(GuestErrorCodes.UserNotFound, missing.Code);
    }

    [Fact]
    public async Task ChangePasswords_WithAnUnknownUser_ChangesNone()
    {
        await Manager.CreateUsersAsync([new UserSpec("kate", "Kate-pass-1", "%", [PostgreSqlFixture.Database])], None);

        var error = await Assert.ThrowsAsync<HandlerException>(() =>
            Manager.ChangePasswordsAsync([new UserSpec("kate", "Kate-pass-2"), new UserSpec("nobody", "Nobody-pass-1")], None));
        Assert.Equal(GuestErrorCodes.UserNotFound, error.Code);
        await using (var unchanged = await fixture.ConnectTcpAsync("kate", "Kate-pass-1"))
            Assert.Equal("kate", await ScalarAsync(unchanged, "SELECT current_user"));

        await Manager.ChangePasswordsAsync([new UserSpec("kate", "Kate-pass-2")], None);

        await using var connection = await fixture.ConnectTcpAsync("kate", "Kate-pass-2");
        Assert.Equal("kate", await ScalarAsync(connection, "SELECT current_user"));
        var old = await Assert.ThrowsAsync<PostgresException>(() => fixture.ConnectTcpAsync("kate", "Kate-pass-1"));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, old.SqlState);
    }

    [Fact]
    public async Task Access_CanBeGrantedListedAndRevoked()
    {
        await Manager.CreateDatabasesAsync([new DatabaseSpec("access_a"), new DatabaseSpec("access_b")], None);
        await Manager.CreateUsersAsync([new UserSpec("liam", "Liam-pass-1")], None);

        await Manager.GrantAccessAsync(new AccessRequest("liam", "%", ["access_a", "access_b"]), None);
        Assert.Equal(["access_a", "access_b"], await Manager.ListAccessAsync(new UserRef("liam"), None));
        await using (var connection = await fixture.ConnectTcpAsync("liam", "Liam-pass-1", "access_b"))
            await ExecuteAsync(connection, "CREATE TABLE liams (id INT)");

        await Manager.RevokeAccessAsync(new UserRef("liam"), "access_b", None);

        Assert.Equal(["access_a"], await Manager.ListAccessAsync(new UserRef("liam"), None));
        var refused = await Assert.ThrowsAsync<PostgresException>(() => fixture.ConnectTcpAsync("liam", "Liam-pass-1", "access_b"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        var again = await Assert.ThrowsAsync<HandlerException>(() => Manager.RevokeAccessAsync(new UserRef("liam"), "access_b", None));
        Assert.Equal(GuestErrorCodes.DatabaseNotFound, again.Code);
        var missingDb = await Assert.ThrowsAsync<HandlerException>(() => Manager.GrantAccessAsync(new AccessRequest("liam", "%", ["no_such_db"]), None));
        Assert.Equal(GuestErrorCodes.DatabaseNotFound, missingDb.Code);
        var missingUser = await Assert.ThrowsAsync<HandlerException>(() => Manager.ListAccessAsync(new UserRef("nobody"), None));
        Assert.Equal(GuestErrorCodes.UserNotFound, missingUser.Code);
    }

    [Fact]
    public async Task DeleteUser_OwningTables_HandsThemToTheGuestAndKeepsTheData()
    {
        await Manager.CreateDatabasesAsync([new DatabaseSpec("owned_db")], None);
        await Manager.CreateUsersAsync([new UserSpec("mia", "Mia-pass-1", "%", ["owned_db"])], None);
        await using (var connection = await fixture.ConnectTcpAsync("mia", "Mia-pass-1", "owned_db"))
        {
            await ExecuteAsync(connection, "CREATE TABLE mias (id INT)");
            await ExecuteAsync(connection, "INSERT INTO mias VALUES (5)");
        }

        await using var session = await fixture.ConnectTcpAsync("mia", "Mia-pass-1", "owned_db");
        await Manager.DeleteUserAsync(new UserRef("mia"), None);

        Assert.DoesNotContain(await Manager.ListUsersAsync(None), u => u.Name == "mia");
        await using var admin = await fixture.AdminAsync("owned_db");
        Assert.Equal("os_admin|5", await ScalarAsync(admin, "SELECT tableowner || '|' || (SELECT id FROM mias) FROM pg_tables WHERE tablename = 'mias'"));
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => ScalarAsync(session, "SELECT 1"));
        var again = await Assert.ThrowsAsync<HandlerException>(() => Manager.DeleteUserAsync(new UserRef("mia"), None));
        Assert.Equal(GuestErrorCodes.UserNotFound, again.Code);
    }

    [Fact]
    public async Task Root_CanBeEnabledUsedAndDisabled()
    {
        Assert.False(await Manager.IsRootEnabledAsync(None));

        var credentials = await Manager.EnableRootAsync(null, None);

        Assert.Equal("root", credentials.Name);
        Assert.True(await Manager.IsRootEnabledAsync(None));
        await using (var connection = await fixture.ConnectTcpAsync("root", credentials.Password, "postgres"))
        {
            Assert.Equal("True", await ScalarAsync(connection, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"));
            await ExecuteAsync(connection, "CREATE DATABASE root_made");
        }

        Assert.Contains(await Manager.ListUsersAsync(None), u => u.Name == "root");
        var again = await Manager.EnableRootAsync("Root-pass-2", None);
        await using (var connection = await fixture.ConnectTcpAsync("root", again.Password, "postgres"))
            Assert.Equal("root", await ScalarAsync(connection, "SELECT current_user"));

        await Manager.DisableRootAsync(None);

        Assert.False(await Manager.IsRootEnabledAsync(None));
        Assert.DoesNotContain(await Manager.ListUsersAsync(None), u => u.Name == "root");
        await Assert.ThrowsAsync<PostgresException>(() => fixture.ConnectTcpAsync("root", again.Password, "postgres"));
        Assert.Contains(await Manager.ListDatabasesAsync(None), d => d.Name == "root_made");
        await Manager.DeleteDatabaseAsync("root_made", None);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<List<string>> QueryAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
            rows.Add(reader.GetString(0));
        return rows;
    }
}
