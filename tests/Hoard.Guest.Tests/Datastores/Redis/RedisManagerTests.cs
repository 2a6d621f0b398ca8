using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.Redis;

namespace Hoard.Guest.Tests.Datastores.Redis;

/// <summary>Security, users, root and the unsupported database verbs against a real Redis prepared by the manager.</summary>
public sealed class RedisManagerTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;
    private RedisManager Manager => fixture.Manager;

    [Fact]
    public async Task Prepare_IsRecordedAndHealthy()
    {
        Assert.True(Manager.IsPrepared);
        Assert.Equal(ServiceStatus.Healthy, await Manager.ProbeAsync(None));
    }

    [Fact]
    public async Task SampleMetrics_CountsAnOpenClient_ItsCommands_AndTheServersMemory()
    {
        var before = await Manager.SampleMetricsAsync(None);
        using var connection = fixture.ConnectTcp(RedisFixture.User, RedisFixture.Password);
        for (var i = 0; i < 5; i++)
            connection.Execute("PING");

        var after = await Manager.SampleMetricsAsync(None);

        Assert.True(after!.Connections >= before!.Connections + 1, $"{before} → {after}");
        Assert.True(after.QueriesTotal >= before.QueriesTotal + 5, $"{before} → {after}");
        Assert.True(after.MemoryBytes > 1 << 20, $"{after}");
    }

    [Fact]
    public void PreparedUser_CanSetAndGetOverTcp()
    {
        using var connection = fixture.ConnectTcp(RedisFixture.User, RedisFixture.Password);

        Assert.Equal("OK", connection.Execute("SET", "prepared:check", "ünïcödé").AsString());
        Assert.Equal("ünïcödé", connection.Execute("GET", "prepared:check").AsString());
    }

    [Fact]
    public void Anonymous_IsRefused()
    {
        using var connection = fixture.ConnectTcp(null, null);

        var error = Assert.Throws<RedisException>(() => connection.Execute("GET", "anything"));
        Assert.Equal("NOAUTH", error.ErrorCode);
        var wrong = Assert.Throws<RedisException>(() => fixture.ConnectTcp(null, "guess"));
        Assert.Equal("WRONGPASS", wrong.ErrorCode);
    }

    [Theory]
    [InlineData("FLUSHALL")]
    [InlineData("FLUSHDB")]
    [InlineData("CONFIG", "GET", "maxmemory")]
    [InlineData("CONFIG", "SET", "maxmemory", "0")]
    [InlineData("KEYS", "*")]
    [InlineData("SHUTDOWN")]
    [InlineData("ACL", "SETUSER", "sneaky", "on", ">pw", "+@all")]
    [InlineData("MONITOR")]
    [InlineData("BGSAVE")]
    [InlineData("REPLICAOF", "127.0.0.1", "1")]
    [InlineData("CLIENT", "KILL", "USER", "os_admin")]
    public void CustomerUser_IsRefusedDangerousCommands(params string[] command)
    {
        using var connection = fixture.ConnectTcp(RedisFixture.User, RedisFixture.Password);

        var error = Assert.Throws<RedisException>(() => connection.Execute(command));
        Assert.Equal("NOPERM", error.ErrorCode);
    }

    [Theory]
    [InlineData("DEBUG", "SLEEP", "0")]
    [InlineData("MODULE", "LOAD", "/tmp/x.so")]
    public void CustomerUser_IsRefusedCommandsTheServerAlsoDisables(params string[] command)
    {
        using var admin = fixture.Admin();

        // The server refuses these to everyone (enable-*-command no) before the ACL is consulted; DRYRUN shows the ACL too.
        var verdict = admin.Execute(["ACL", "DRYRUN", RedisFixture.User, .. command]).AsString();
        Assert.Contains("no permissions", verdict);
        using var connection = fixture.ConnectTcp(RedisFixture.User, RedisFixture.Password);
        Assert.Throws<RedisException>(() => connection.Execute(command));
    }

    [Fact]
    public void CustomerUser_KeepsInfoScanAndSort()
    {
        using var connection = fixture.ConnectTcp(RedisFixture.User, RedisFixture.Password);
        connection.Execute("RPUSH", "sortable", "3", "1", "2");

        Assert.Contains("redis_version:7.", connection.Execute("INFO", "server").AsString());
        Assert.Equal(["1", "2", "3"], connection.Execute("SORT", "sortable").AsArray().Select(v => v.AsString()));
        Assert.Equal(RedisValueKind.Array, connection.Execute("SCAN", "0").Kind);
    }

    [Fact]
    public void Server_RunsWithTheFlavorAndPersistenceSettings()
    {
        using var admin = fixture.Admin();

        Assert.Equal((RedisFixture.MemoryMb * 3 / 4 * 1024L * 1024).ToString(), ConfigGet(admin, "maxmemory"));
        Assert.Equal(RedisConfigTemplate.EvictionPolicy, ConfigGet(admin, "maxmemory-policy"));
        Assert.Equal("yes", ConfigGet(admin, "appendonly"));
        Assert.Equal("everysec", ConfigGet(admin, "appendfsync"));
        Assert.Equal("900 1 300 10 60 10000", ConfigGet(admin, "save"));
        Assert.Equal("yes", ConfigGet(admin, "protected-mode"));
        Assert.Equal(fixture.Instance.Config.Paths.Data, ConfigGet(admin, "dir"));
        Assert.Equal("700", ConfigGet(admin, "unixsocketperm"));
    }

    [Fact]
    public async Task Root_EnableShowDisable()
    {
        Assert.False(await Manager.IsRootEnabledAsync(None));

        var root = await Manager.EnableRootAsync(null, None);

        Assert.Equal("default", root.Name);
        Assert.True(await Manager.IsRootEnabledAsync(None));
        using (var connection = fixture.ConnectTcp(null, root.Password))
            Assert.Equal("noeviction", connection.Execute("CONFIG", "GET", "maxmemory-policy").AsArray()[1].AsString());
        using var rootSession = fixture.ConnectTcp(root.Name, root.Password);
        Assert.Equal("PONG", rootSession.Execute("PING").AsString());

        var given = await Manager.EnableRootAsync("Given-Root-Pass", None);
        Assert.Equal("Given-Root-Pass", given.Password);
        Assert.Equal("WRONGPASS", Assert.Throws<RedisException>(() => fixture.ConnectTcp(null, root.Password)).ErrorCode);
        using (var connection = fixture.ConnectTcp("default", "Given-Root-Pass"))
            Assert.Equal(RedisValueKind.Array, connection.Execute("KEYS", "*").Kind);

        await Manager.DisableRootAsync(None);

        Assert.False(await Manager.IsRootEnabledAsync(None));
        Assert.Equal("WRONGPASS", Assert.Throws<RedisException>(() => fixture.ConnectTcp(null, "Given-Root-Pass")).ErrorCode);
        Assert.True(Assert.Throws<RedisException>(() => rootSession.Execute("PING")).IsConnectionFailure);
    }

    [Fact]
    public async Task Root_WithAPasswordContainingWhitespace_IsABadRequest()
    {
        var error = await Assert.ThrowsAsync<HandlerException>(() => Manager.EnableRootAsync("has space", None));

        Assert.Equal(GuestErrorCodes.BadRequest, error.Code);
    }

    [Fact]
    public async Task Users_CreateListGetChangePasswordRenameDelete()
    {
        await Manager.CreateUsersAsync([new UserSpec("bob", "Bob-pass-\"quoted\""), new UserSpec("carol.c", "Carol-1")], None);

        var names = (await Manager.ListUsersAsync(None)).Select(u => u.Name).ToList();
        Assert.Contains("bob", names);
        Assert.Contains("carol.c", names);
        Assert.DoesNotContain("default", names);
        Assert.DoesNotContain("os_admin", names);
        Assert.Equal(new UserInfo("bob", "%", []), await Manager.GetUserAsync(new UserRef("bob"), None));
        using (var bob = fixture.ConnectTcp("bob", "Bob-pass-\"quoted\""))
            Assert.Equal("NOPERM", Assert.Throws<RedisException>(() => bob.Execute("FLUSHALL")).ErrorCode);

        await Manager.ChangePasswordsAsync([new UserSpec("bob", "Bob-2")], None);
        using (var bob = fixture.ConnectTcp("bob", "Bob-2"))
            Assert.Equal("OK", bob.Execute("SET", "bob:key", "1").AsString());

        await Manager.UpdateUserAttributesAsync(new UserAttributes("bob", "%", "robert", null, null), None);
        Assert.Equal(GuestErrorCodes.UserNotFound, (await Assert.ThrowsAsync<HandlerException>(() => Manager.GetUserAsync(new UserRef("bob"), None))).Code);
        using (var robert = fixture.ConnectTcp("robert", "Bob-2"))
        {
            Assert.Equal("1", robert.Execute("GET", "bob:key").AsString());
            Assert.Equal("NOPERM", Assert.Throws<RedisException>(() => robert.Execute("CONFIG", "GET", "*")).ErrorCode);
        }

        await Manager.UpdateUserAttributesAsync(new UserAttributes("robert", "%", "rob", "Rob-3", null), None);
        Assert.Equal("WRONGPASS", Assert.Throws<RedisException>(() => fixture.ConnectTcp("rob", "Bob-2")).ErrorCode);
        using (var rob = fixture.ConnectTcp("rob", "Rob-3"))
            Assert.Equal("PONG", rob.Execute("PING").AsString());

        await Manager.DeleteUserAsync(new UserRef("rob"), None);
        await Manager.DeleteUserAsync(new UserRef("carol.c"), None);
        Assert.DoesNotContain(await Manager.ListUsersAsync(None), u => u.Name is "rob" or "robert" or "carol.c");
        Assert.Equal("WRONGPASS", Assert.Throws<RedisException>(() => fixture.ConnectTcp("rob", "Rob-3")).ErrorCode);
    }

    [Fact]
    public async Task UserChanges_AreSavedToTheAclFile()
    {
        await Manager.CreateUsersAsync([new UserSpec("persisted", "Persisted-1")], None);

        var acl = File.ReadAllText(Manager.Server.Paths.AclFile);
        Assert.Matches("(?m)^user persisted on .*#[0-9a-f]{64}", acl);
        Assert.DoesNotContain("Persisted-1", acl);

        await Manager.DeleteUserAsync(new UserRef("persisted"), None);
        Assert.DoesNotContain("user persisted ", File.ReadAllText(Manager.Server.Paths.AclFile));
    }

    [Fact]
    public async Task Users_ErrorsHaveTroveCodes()
    {
        await Manager.CreateUsersAsync([new UserSpec("dave", "Dave-1")], None);

        Assert.Equal(GuestErrorCodes.UserAlreadyExists, await CodeOf(() => Manager.CreateUsersAsync([new UserSpec("dave", "x-1")], None)));
        Assert.Equal(GuestErrorCodes.UserNotFound, await CodeOf(() => Manager.GetUserAsync(new UserRef("nobody"), None)));
        Assert.Equal(GuestErrorCodes.UserNotFound, await CodeOf(() => Manager.DeleteUserAsync(new UserRef("nobody"), None)));
        Assert.Equal(GuestErrorCodes.UserNotFound, await CodeOf(() => Manager.ChangePasswordsAsync([new UserSpec("nobody", "x-1")], None)));
        Assert.Equal(GuestErrorCodes.UserAlreadyExists,
            await CodeOf(() => Manager.UpdateUserAttributesAsync(new UserAttributes("dave", "%", RedisFixture.User, null, null), None)));
        Assert.Equal(GuestErrorCodes.UserNotFound, await CodeOf(() => Manager.GetUserAsync(new UserRef("default"), None)));
        Assert.Equal(GuestErrorCodes.BadRequest, await CodeOf(() => Manager.CreateUsersAsync([new UserSpec("default", "x-1")], None)));
        Assert.Equal(GuestErrorCodes.BadRequest, await CodeOf(() => Manager.CreateUsersAsync([new UserSpec("os_admin", "x-1")], None)));
        Assert.Equal(GuestErrorCodes.BadRequest, await CodeOf(() => Manager.CreateUsersAsync([new UserSpec("bad name", "x-1")], None)));
        Assert.Equal(GuestErrorCodes.BadRequest, await CodeOf(() => Manager.CreateUsersAsync([new UserSpec(new string('a', 65), "x-1")], None)));
        Assert.Equal(GuestErrorCodes.BadRequest, await CodeOf(() => Manager.CreateUsersAsync([new UserSpec("eve", "two words")], None)));
        Assert.Equal(GuestErrorCodes.BadRequest, await CodeOf(() => Manager.CreateUsersAsync([new UserSpec("eve", "line\nbreak")], None)));
        Assert.Equal(GuestErrorCodes.BadRequest, await CodeOf(() => Manager.CreateUsersAsync([new UserSpec("eve", null)], None)));
        Assert.Equal(GuestErrorCodes.BadRequest, await CodeOf(() => Manager.CreateUsersAsync([new UserSpec("eve", "x-1", "10.0.0.1")], None)));
        Assert.Equal(GuestErrorCodes.BadRequest,
            await CodeOf(() => Manager.CreateUsersAsync([new UserSpec("eve", "x-1"), new UserSpec("eve", "x-2")], None)));
        Assert.Equal(GuestErrorCodes.NotSupported, await CodeOf(() => Manager.CreateUsersAsync([new UserSpec("eve", "x-1", "%", ["db"])], None)));
        Assert.Equal(GuestErrorCodes.UserAlreadyExists,
            await CodeOf(() => Manager.CreateUsersAsync([new UserSpec("frank", "x-1"), new UserSpec("dave", "x-2")], None)));
        Assert.DoesNotContain(await Manager.ListUsersAsync(None), u => u.Name is "eve" or "frank");
    }

    [Fact]
    public async Task DatabaseVerbs_AreNotSupported()
    {
        Assert.Equal(GuestErrorCodes.NotSupported, await CodeOf(() => Manager.CreateDatabasesAsync([new DatabaseSpec("db")], None)));
        Assert.Equal(GuestErrorCodes.NotSupported, await CodeOf(() => Manager.ListDatabasesAsync(None)));
        Assert.Equal(GuestErrorCodes.NotSupported, await CodeOf(() => Manager.DeleteDatabaseAsync("db", None)));
        Assert.Equal(GuestErrorCodes.NotSupported, await CodeOf(() => Manager.GrantAccessAsync(new AccessRequest(RedisFixture.User, "%", ["db"]), None)));
        Assert.Equal(GuestErrorCodes.NotSupported, await CodeOf(() => Manager.RevokeAccessAsync(new UserRef(RedisFixture.User), "db", None)));
        Assert.Equal(GuestErrorCodes.NotSupported, await CodeOf(() => Manager.ListAccessAsync(new UserRef(RedisFixture.User), None)));
    }

    private static string ConfigGet(RedisConnection connection, string name) =>
        connection.Execute("CONFIG", "GET", name).AsArray()[1].AsString();

    private static async Task<string> CodeOf(Func<Task> action) =>
        (await Assert.ThrowsAsync<HandlerException>(action)).Code;
}
