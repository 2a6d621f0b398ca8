using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.MariaDb;

namespace Hoard.Guest.Tests.Datastores.MariaDb;

/// <summary>Databases, users, access and root against a real MariaDB prepared by the manager.</summary>
public sealed class MariaDbManagerTests(MariaDbFixture fixture) : IClassFixture<MariaDbFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;
    private MariaDbManager Manager => fixture.Manager;

    [Fact]
    public async Task Prepare_IsRecordedAndHealthy()
    {
        Assert.True(Manager.IsPrepared);
        Assert.Equal(ServiceStatus.Healthy, await Manager.ProbeAsync(None));
        Assert.False(File.Exists(Path.Combine(fixture.Instance.Config.Paths.Run, "init.sql")));
    }

    [Fact]
    public async Task SampleMetrics_CountsAnOpenClient_ItsStatements_AndTheServersMemory()
    {
        var before = await Manager.SampleMetricsAsync(None);
        using var connection = fixture.ConnectTcp(MariaDbFixture.User, MariaDbFixture.Password, MariaDbFixture.Database);
        for (var i = 0; i < 5; i++)
            connection.Query("SELECT 1");

        var after = await Manager.SampleMetricsAsync(None);

        Assert.True(after!.Connections >= before!.Connections + 1, $"{before} → {after}");
        Assert.True(after.QueriesTotal >= before.QueriesTotal + 5, $"{before} → {after}");
        Assert.True(after.MemoryBytes > 1 << 20, $"{after}");
        Assert.True(after.CpuSecondsTotal > 0, $"{after}");
    }

    [Fact]
    public void PreparedUser_CanUseItsDatabaseOverTcp()
    {
        using var connection = fixture.ConnectTcp(MariaDbFixture.User, MariaDbFixture.Password, MariaDbFixture.Database);

        connection.Execute("CREATE TABLE prepared_check (id INT PRIMARY KEY, name VARCHAR(20))");
        connection.Execute("INSERT INTO prepared_check VALUES (1, 'ünïcödé')");

        var row = Assert.Single(connection.Query("SELECT id, name FROM prepared_check"));
        Assert.Equal("1|ünïcödé", string.Join('|', row));
    }

    [Fact]
    public void PreparedUser_CannotReachOtherDatabases()
    {
        using var connection = fixture.ConnectTcp(MariaDbFixture.User, MariaDbFixture.Password);

        var error = Assert.Throws<MariaDbException>(() => connection.Execute("CREATE DATABASE sneaky"));
        Assert.Equal(1044, error.ErrorNumber);
        Assert.Throws<MariaDbException>(() => connection.Query("SELECT * FROM mysql.global_priv"));
    }

    [Fact]
    public void Server_HasNoAnonymousUsersTestDatabaseOrRemoteRoot()
    {
        using var admin = fixture.Admin();

        Assert.Empty(admin.Query("SELECT User, Host FROM mysql.global_priv WHERE User = '' OR (User = 'root' AND Host <> 'localhost')"));
        Assert.Empty(admin.Query("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'test'"));
        Assert.Empty(admin.Query(MariaDbInitScript.AuditQuery));
    }

    [Fact]
    public void AuditQuery_FindsAnAccountWithoutAPassword()
    {
        using var admin = fixture.Admin();
        admin.Execute("CREATE USER 'audit_probe'@'%'");
        try
        {
            Assert.Single(admin.Query(MariaDbInitScript.AuditQuery), row => row[0] == "'audit_probe'@'%'");
        }
        finally
        {
            admin.Execute("DROP USER 'audit_probe'@'%'");
        }
    }

    [Fact]
    public void Root_WithoutPassword_IsRefusedOverTcp()
    {
        var error = Assert.Throws<MariaDbException>(() => fixture.ConnectTcp("root", null));
        Assert.Equal(MariaDbException.AccessDenied, error.ErrorNumber);
        var anonymous = Assert.Throws<MariaDbException>(() => fixture.ConnectTcp("", null));
        Assert.Equal(MariaDbException.AccessDenied, anonymous.ErrorNumber);
    }

    [Fact]
    public void Server_RunsWithTheHardenedSettings()
    {
        using var admin = fixture.Admin();

        var row = Assert.Single(admin.Query("SELECT @@local_infile, @@skip_name_resolve, @@bind_address, @@port, @@character_set_server, @@innodb_buffer_pool_size"));
        Assert.Equal($"0|1|127.0.0.1|{fixture.Instance.Config.Port}|utf8mb4|{128 * 1024 * 1024}", string.Join('|', row));
    }

    [Fact]
    public async Task Databases_CanBeCreatedListedAndDeleted()
    {
        await Manager.CreateDatabasesAsync([new DatabaseSpec("db_one"), new DatabaseSpec("db two", "latin1", "latin1_swedish_ci")], None);

        var databases = await Manager.ListDatabasesAsync(None);
        Assert.Contains(new DatabaseSpec("db_one", "utf8mb4", "utf8mb4_general_ci"), databases);
        Assert.Contains(new DatabaseSpec("db two", "latin1", "latin1_swedish_ci"), databases);
        Assert.DoesNotContain(databases, d => MariaDbNames.IsReservedDatabase(d.Name));

        await Manager.DeleteDatabaseAsync("db_one", None);
        await Manager.DeleteDatabaseAsync("db two", None);
        Assert.DoesNotContain(await Manager.ListDatabasesAsync(None), d => d.Name is "db_one" or "db two");
    }

    [Fact]
    public async Task CreateDatabases_WithAnExistingName_CreatesNone()
    {
        await Manager.CreateDatabasesAsync([new DatabaseSpec("dup_existing")], None);

        var error = await Assert.ThrowsAsync<HandlerException>(() =>
            Manager.CreateDatabasesAsync([new DatabaseSpec("dup_new"), new DatabaseSpec("dup_existing")], None));

        Assert.Equal(GuestErrorCodes.DatabaseAlreadyExists, error.Code);
        Assert.Contains("dup_existing", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(await Manager.ListDatabasesAsync(None), d => d.Name == "dup_new");
    }

    [Fact]
    public async Task CreateDatabases_WithAnUnknownCharset_IsABadRequestAndCreatesNone()
    {
        var error = await Assert.ThrowsAsync<HandlerException>(() =>
            Manager.CreateDatabasesAsync([new DatabaseSpec("cs_first"), new DatabaseSpec("cs_second", "klingon")], None));

        Assert.Equal(GuestErrorCodes.BadRequest, error.Code);
        Assert.DoesNotContain(await Manager.ListDatabasesAsync(None), d => d.Name is "cs_first" or "cs_second");
    }

    [Theory]
    [InlineData("mysql")]
    [InlineData("x`; DROP DATABASE shop; --")]
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
    public async Task Users_CanBeCreatedListedAndFetched()
    {
        await Manager.CreateDatabasesAsync([new DatabaseSpec("users_db")], None);

        await Manager.CreateUsersAsync([new UserSpec("bob", "Bob-pass-1", "%", ["users_db"]), new UserSpec("carol", "Carol-pass-1", "127.0.0.1")], None);

        var users = await Manager.ListUsersAsync(None);
        Assert.Contains(users, u => u is { Name: "bob", Host: "%" } && u.Databases.SequenceEqual(["users_db"]));
        Assert.Contains(users, u => u is { Name: "carol", Host: "127.0.0.1" } && u.Databases.Count == 0);
        Assert.Contains(users, u => u.Name == MariaDbFixture.User && u.Databases.SequenceEqual([MariaDbFixture.Database]));
        Assert.DoesNotContain(users, u => MariaDbNames.IsReservedUser(u.Name));
        var bob = await Manager.GetUserAsync(new UserRef("bob"), None);
        Assert.Equal(("bob", "%"), (bob.Name, bob.Host));
        Assert.Equal(["users_db"], bob.Databases);
        using var connection = fixture.ConnectTcp("carol", "Carol-pass-1");
        Assert.Single(connection.Query("SELECT CURRENT_USER()"), row => row[0] == "carol@127.0.0.1");
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
    [InlineData("root")]
    [InlineData("os_admin")]
    public async Task CreateUsers_WithAReservedName_IsABadRequest(string name)
    {
        var error = await Assert.ThrowsAsync<HandlerException>(() => Manager.CreateUsersAsync([new UserSpec(name, "Some-pass-1")], None));
        Assert.Equal(GuestErrorCodes.BadRequest, error.Code);
    }

    [Fact]
    public async Task GetUser_ThatDoesNotExist_IsNotFound()
    {
        var error = await Assert.ThrowsAsync<HandlerException>(() => Manager.GetUserAsync(new UserRef("nobody"), None));
        Assert.Equal(GuestErrorCodes.UserNotFound, error.Code);
        var hidden = await Assert.ThrowsAsync<HandlerException>(() => Manager.GetUserAsync(new UserRef("os_admin", "localhost"), None));
        Assert.Equal(GuestErrorCodes.UserNotFound, hidden.Code);
    }

    [Fact]
    public async Task UpdateUserAttributes_RenamesRehostsAndChangesThePassword()
    {
        await Manager.CreateDatabasesAsync([new DatabaseSpec("rename_db")], None);
        await Manager.CreateUsersAsync([new UserSpec("gina", "Gina-pass-1", "%", ["rename_db"])], None);

        await Manager.UpdateUserAttributesAsync(new UserAttributes("gina", "%", "gina2", "Gina-pass-2", "127.0.0.1"), None);

        var user = await Manager.GetUserAsync(new UserRef("gina2", "127.0.0.1"), None);
        Assert.Equal(["rename_db"], user.Databases);
        await Assert.ThrowsAsync<HandlerException>(() => Manager.GetUserAsync(new UserRef("gina", "%"), None));
        using (var connection = fixture.ConnectTcp("gina2", "Gina-pass-2", "rename_db"))
            Assert.Single(connection.Query("SELECT 1"));
        Assert.Throws<MariaDbException>(() => fixture.ConnectTcp("gina2", "Gina-pass-1"));
    }

    [Fact]
    public async Task UpdateUserAttributes_OntoAnExistingUser_IsAlreadyExists()
    {
        await Manager.CreateUsersAsync([new UserSpec("hank", "Hank-pass-1"), new UserSpec("ivy", "Ivy-pass-1")], None);

        var error = await Assert.ThrowsAsync<HandlerException>(() =>
            Manager.UpdateUserAttributesAsync(new UserAttributes("hank", "%", "ivy", "New-pass-1", null), None));

        Assert.Equal(GuestErrorCodes.UserAlreadyExists, error.Code);
        using var connection = fixture.ConnectTcp("hank", "Hank-pass-1");
    }

    [Fact]
    public async Task ChangePasswords_ChangesEveryPassword()
    {
        await Manager.CreateUsersAsync([new UserSpec("jack", "Jack-pass-1"), new UserSpec("kate", "Kate-pass-1")], None);

        await Manager.ChangePasswordsAsync([new UserSpec("jack", "Jack-pass-2"), new UserSpec("kate", "Kate-pass-2")], None);

        using (fixture.ConnectTcp("jack", "Jack-pass-2"))
        using (fixture.ConnectTcp("kate", "Kate-pass-2"))
            Assert.Throws<MariaDbException>(() => fixture.ConnectTcp("jack", "Jack-pass-1"));
    }

    [Fact]
    public async Task ChangePasswords_ForAnUnknownUser_ChangesNothing()
    {
        await Manager.CreateUsersAsync([new UserSpec("liam", "Liam-pass-1")], None);

        var error = await Assert.ThrowsAsync<HandlerException>(() =>
            Manager.ChangePasswordsAsync([new UserSpec("liam", "Liam-pass-2"), new UserSpec("ghost", "Ghost-pass-1")], None));

        Assert.Equal(GuestErrorCodes.UserNotFound, error.Code);
        using var connection = fixture.ConnectTcp("liam", "Liam-pass-1");
    }

    [Fact]
    public async Task DeleteUser_RemovesTheUser()
    {
        await Manager.CreateUsersAsync([new UserSpec("mia", "Mia-pass-1")], None);

        await Manager.DeleteUserAsync(new UserRef("mia"), None);

        Assert.DoesNotContain(await Manager.ListUsersAsync(None), u => u.Name == "mia");
        var error = await Assert.ThrowsAsync<HandlerException>(() => Manager.DeleteUserAsync(new UserRef("mia"), None));
        Assert.Equal(GuestErrorCodes.UserNotFound, error.Code);
    }

    [Fact]
    public async Task Access_CanBeGrantedListedAndRevoked()
    {
        await Manager.CreateDatabasesAsync([new DatabaseSpec("acc_a"), new DatabaseSpec("acc_b"), new DatabaseSpec("accXa")], None);
        await Manager.CreateUsersAsync([new UserSpec("nina", "Nina-pass-1")], None);

        await Manager.GrantAccessAsync(new AccessRequest("nina", "%", ["acc_a", "acc_b"]), None);
        Assert.Equal(["acc_a", "acc_b"], await Manager.ListAccessAsync(new UserRef("nina"), None));
        using (var connection = fixture.ConnectTcp("nina", "Nina-pass-1", "acc_a"))
        {
            connection.Execute("CREATE TABLE t (id INT)");
            // The '_' in acc_a is not a wildcard: the grant does not reach accXa.
            Assert.Throws<MariaDbException>(() => connection.Execute("CREATE TABLE accXa.t (id INT)"));
        }

        await Manager.RevokeAccessAsync(new UserRef("nina"), "acc_a", None);

        Assert.Equal(["acc_b"], await Manager.ListAccessAsync(new UserRef("nina"), None));
        Assert.Throws<MariaDbException>(() => fixture.ConnectTcp("nina", "Nina-pass-1", "acc_a"));
    }

    [Fact]
    public async Task GrantAccess_OnAMissingDatabase_IsNotFoundAndGrantsNothing()
    {
        await Manager.CreateDatabasesAsync([new DatabaseSpec("grant_ok")], None);
        await Manager.CreateUsersAsync([new UserSpec("olga", "Olga-pass-1")], None);

        var error = await Assert.ThrowsAsync<HandlerException>(() =>
            Manager.GrantAccessAsync(new AccessRequest("olga", "%", ["grant_ok", "grant_missing"]), None));

        Assert.Equal(GuestErrorCodes.DatabaseNotFound, error.Code);
        Assert.Empty(await Manager.ListAccessAsync(new UserRef("olga"), None));
    }

    [Fact]
    public async Task AccessVerbs_ForAnUnknownUser_AreNotFound()
    {
        Assert.Equal(GuestErrorCodes.UserNotFound,
            (await Assert.ThrowsAsync<HandlerException>(() => Manager.ListAccessAsync(new UserRef("ghost"), None))).Code);
        Assert.Equal(GuestErrorCodes.UserNotFound,
            (await Assert.ThrowsAsync<HandlerException>(() => Manager.GrantAccessAsync(new AccessRequest("ghost", "%", [MariaDbFixture.Database]), None))).Code);
        Assert.Equal(GuestErrorCodes.UserNotFound,
            (await Assert.ThrowsAsync<HandlerException>(() => Manager.RevokeAccessAsync(new UserRef("ghost"), MariaDbFixture.Database, None))).Code);
    }

    [Fact]
    public async Task Root_CanBeEnabledAndDisabled()
    {
        Assert.False(await Manager.IsRootEnabledAsync(None));
        Assert.DoesNotContain(await Manager.ListUsersAsync(None), u => u.Name == "root");

        var credentials = await Manager.EnableRootAsync(null, None);

        Assert.Equal("root", credentials.Name);
        Assert.Equal(24, credentials.Password.Length);
        Assert.True(await Manager.IsRootEnabledAsync(None));
        Assert.Contains(await Manager.ListUsersAsync(None), u => u is { Name: "root", Host: "%" });
        using (var root = fixture.ConnectTcp("root", credentials.Password))
            Assert.Single(root.Query("SELECT 1 FROM mysql.global_priv LIMIT 1"));

        var chosen = await Manager.EnableRootAsync("Chosen-root-pass-1", None);
        Assert.Equal("Chosen-root-pass-1", chosen.Password);
        using (fixture.ConnectTcp("root", "Chosen-root-pass-1"))
        {
        }

        await Manager.DisableRootAsync(None);

        Assert.False(await Manager.IsRootEnabledAsync(None));
        Assert.Throws<MariaDbException>(() => fixture.ConnectTcp("root", "Chosen-root-pass-1"));
    }
}
