using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class InstanceLifecycleTests(HoardServerFixture server)
{
    private const string AppPassword = "Life-App-1";
    private static readonly string[] SystemDatabases = ["mysql", "information_schema", "performance_schema", "sys"];

    private TroveClient Client => server.Client;

    private TroveSession Admin => server.Admin;

    [Fact]
    public async Task Instance_FromCreateToDelete_OverRest()
    {
        var created = await Client.CreateInstanceAsync(Admin, TroveClient.InstanceBody("life", "shop", "app", AppPassword));
        var id = created["id"]!.GetValue<string>();
        Assert.Equal("BUILD", created["status"]!.GetValue<string>());
        Assert.False(created.ContainsKey("replica_of"), $"a new instance carries replica_of: {created.ToJsonString()}");
        Assert.True(Guid.TryParse(id, out _), id);

        var active = await Client.WaitForActiveAsync(Admin, id);
        var ip = active["ip"]![0]!.GetValue<string>();
        Assert.StartsWith("127.", ip);
        Assert.Equal(1, active["volume"]!["size"]!.GetValue<int>());
        Assert.Equal("mariadb", active["datastore"]!["type"]!.GetValue<string>());
        Assert.Equal("10.11", active["datastore"]!["version"]!.GetValue<string>());
        Assert.Equal("1", active["flavor"]!["id"]!.GetValue<string>());
        Assert.Equal("life", active["name"]!.GetValue<string>());

        await DatabasesAsync(id);
        await UsersAsync(id, ip);
        await RootAsync(id, ip);

        await MariaDbClient.QueryOkAsync(ip, "app", AppPassword, "shop",
            "CREATE TABLE orders (id INT PRIMARY KEY, item VARCHAR(40)); INSERT INTO orders VALUES (1, 'teapot');");
        Assert.Equal("1\tteapot", (await MariaDbClient.QueryOkAsync(ip, "app", AppPassword, "shop", "SELECT id, item FROM orders")).Trim());

        await RestartAsync(id);
        Assert.Equal("1\tteapot", (await MariaDbClient.QueryOkAsync(ip, "app", AppPassword, "shop", "SELECT id, item FROM orders")).Trim());

        TroveClient.Expect(await Client.PutAsync(Admin, $"instances/{id}", """{"instance":{"name":"life-renamed"}}"""), 202);
        Assert.Equal("life-renamed", (await ShowAsync(id))["name"]!.GetValue<string>());

        await DeleteAsync(id);
    }

    [Fact]
    public async Task DeletingAnInstanceThatIsStillBuilding_Is422AndLeavesItToFinish()
    {
        var created = await Client.CreateInstanceAsync(Admin, TroveClient.InstanceBody("doomed", database: null, user: null));
        var id = created["id"]!.GetValue<string>();

        var response = await Client.DeleteAsync(Admin, $"instances/{id}");

        AuthTests.AssertFault(response, 422, "unprocessableEntity");
        // The build goes on untouched (it may well have finished by now: it takes a fraction of a second).
        Assert.Contains((await ShowAsync(id))["status"]!.GetValue<string>(), new[] { "BUILD", "ACTIVE" });
        await Client.WaitForActiveAsync(Admin, id);
        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(Admin, id);
    }

    private async Task DatabasesAsync(string id)
    {
        Assert.Equal(["shop"], await DatabaseNamesAsync(id));

        TroveClient.Expect(await Client.PostAsync(Admin, $"instances/{id}/databases",
            """{"databases":[{"name":"extra","character_set":"utf8mb4","collate":"utf8mb4_bin"}]}"""), 202);
        var names = await DatabaseNamesAsync(id);
        Assert.Equal(["extra", "shop"], names);
        Assert.DoesNotContain(names, SystemDatabases.Contains);

        AuthTests.AssertFault(await Client.PostAsync(Admin, $"instances/{id}/databases", """{"databases":[{"name":"extra"}]}"""), 400, "badRequest");
        Assert.Equal(["extra", "shop"], await DatabaseNamesAsync(id));

        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}/databases/extra"), 202);
        Assert.Equal(["shop"], await DatabaseNamesAsync(id));
        AuthTests.AssertFault(await Client.DeleteAsync(Admin, $"instances/{id}/databases/extra"), 404, "itemNotFound");
    }

    private async Task UsersAsync(string id, string ip)
    {
        var users = TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}/users"), 200).Object["users"]!.AsArray();
        var app = Assert.Single(users)!;
        Assert.Equal(("app", "%"), (app["name"]!.GetValue<string>(), app["host"]!.GetValue<string>()));
        Assert.Equal(["shop"], Names(app["databases"]!));

        TroveClient.Expect(await Client.PostAsync(Admin, $"instances/{id}/users",
            """{"users":[{"name":"clerk","password":"Clerk-Pw-1","databases":[{"name":"shop"}]}]}"""), 202);
        var clerk = TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}/users/clerk"), 200).Object["user"]!;
        Assert.Equal(("clerk", "%"), (clerk["name"]!.GetValue<string>(), clerk["host"]!.GetValue<string>()));
        Assert.Equal(["shop"], Names(clerk["databases"]!));
        Assert.Equal(["app", "clerk"], Names(TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}/users"), 200).Object["users"]!));
        await MariaDbClient.QueryOkAsync(ip, "clerk", "Clerk-Pw-1", "shop", "SELECT 1");
        AuthTests.AssertFault(await Client.PostAsync(Admin, $"instances/{id}/users", """{"users":[{"name":"clerk","password":"Other-1"}]}"""),
            400, "badRequest");

        TroveClient.Expect(await Client.PutAsync(Admin, $"instances/{id}/users", """{"users":[{"name":"clerk","password":"Clerk-Pw-2"}]}"""), 202);
        await MariaDbClient.QueryOkAsync(ip, "clerk", "Clerk-Pw-2", "shop", "SELECT 1");
        var old = await MariaDbClient.QueryAsync(ip, "clerk", "Clerk-Pw-1", "shop", "SELECT 1");
        Assert.False(old.Succeeded, $"the old password still works after a password change: {old}");

        TroveClient.Expect(await Client.PutAsync(Admin, $"instances/{id}/users/clerk", """{"user":{"password":"Clerk-Pw-3"}}"""), 202);
        await MariaDbClient.QueryOkAsync(ip, "clerk", "Clerk-Pw-3", "shop", "SELECT 1");

        TroveClient.Expect(await Client.PostAsync(Admin, $"instances/{id}/databases", """{"databases":[{"name":"ledger"}]}"""), 202);
        TroveClient.Expect(await Client.PutAsync(Admin, $"instances/{id}/users/clerk/databases", """{"databases":[{"name":"ledger"}]}"""), 202);
        Assert.Equal(["ledger", "shop"], await AccessAsync(id, "clerk"));
        await MariaDbClient.QueryOkAsync(ip, "clerk", "Clerk-Pw-3", "ledger", "CREATE TABLE t (x INT)");

        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}/users/clerk/databases/ledger"), 202);
        Assert.Equal(["shop"], await AccessAsync(id, "clerk"));
        Assert.Equal(["shop"], Names(TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}/users/clerk"), 200).Object["user"]!["databases"]!));

        AuthTests.AssertFault(await Client.PutAsync(Admin, $"instances/{id}/users/clerk/databases", """{"databases":[{"name":"nosuchdb"}]}"""),
            404, "itemNotFound");
        Assert.Equal(["shop"], await AccessAsync(id, "clerk"));

        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}/users/clerk"), 202);
        AuthTests.AssertFault(await Client.GetAsync(Admin, $"instances/{id}/users/clerk"), 404, "itemNotFound");
        Assert.Equal(["app"], Names(TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}/users"), 200).Object["users"]!));
        var gone = await MariaDbClient.QueryAsync(ip, "clerk", "Clerk-Pw-3", "shop", "SELECT 1");
        Assert.False(gone.Succeeded, $"a deleted user can still log in: {gone}");
    }

    private async Task RootAsync(string id, string ip)
    {
        Assert.False(await RootEnabledAsync(id));

        var enabled = TroveClient.Expect(await Client.PostAsync(Admin, $"instances/{id}/root", null), 200).Object["user"]!;
        Assert.Equal("root", enabled["name"]!.GetValue<string>());
        var password = enabled["password"]!.GetValue<string>();
        Assert.False(string.IsNullOrEmpty(password));
        Assert.True(await RootEnabledAsync(id));
        Assert.Equal("1", (await MariaDbClient.QueryOkAsync(ip, "root", password, null, "SELECT 1")).Trim());

        var disabled = await Client.DeleteAsync(Admin, $"instances/{id}/root");
        Assert.True(disabled.Status == 204, disabled.ToString());
        Assert.False(await RootEnabledAsync(id));
        var refused = await MariaDbClient.QueryAsync(ip, "root", password, null, "SELECT 1");
        Assert.False(refused.Succeeded, $"root can still log in after root was disabled: {refused}");
    }

    private async Task RestartAsync(string id)
    {
        TroveClient.Expect(await Client.PostAsync(Admin, $"instances/{id}/action", """{"restart":{}}"""), 202);
        var during = await ShowAsync(id);
        Assert.Equal("REBOOT", during["status"]!.GetValue<string>());
        Assert.Equal("", during["operating_status"]!.GetValue<string>());
        AuthTests.AssertFault(await Client.PostAsync(Admin, $"instances/{id}/action", """{"restart":{}}"""), 422, "unprocessableEntity");

        await Client.WaitForActiveAsync(Admin, id);
    }

    private async Task DeleteAsync(string id)
    {
        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        var deleting = await Client.GetAsync(Admin, $"instances/{id}");
        Assert.True(deleting.Status == 404 || deleting.Object["instance"]!["status"]!.GetValue<string>() == "SHUTDOWN",
            $"A deleted instance should show SHUTDOWN until it is gone: {deleting}");

        await Client.WaitUntilGoneAsync(Admin, id);

        Assert.DoesNotContain(await Client.ListInstancesAsync(Admin), i => i["id"]!.GetValue<string>() == id);
        Assert.False(Directory.Exists(Path.Combine(server.DataDir, "instances", id)), "the instance directory is left behind");
        Assert.False(Directory.Exists(Path.Combine(server.DataDir, "volumes", id)), "the instance volume is left behind");
        var survivors = ProcessTable.Mentioning(id);
        Assert.True(survivors.Count == 0, "processes of the deleted instance still run: " + ProcessTable.Describe(survivors));
    }

    private async Task<JsonObject> ShowAsync(string id) =>
        TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}"), 200).Object["instance"]!.AsObject();

    private async Task<bool> RootEnabledAsync(string id) =>
        TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}/root"), 200).Object["rootEnabled"]!.GetValue<bool>();

    private async Task<List<string>> DatabaseNamesAsync(string id) =>
        Names(TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}/databases"), 200).Object["databases"]!);

    private async Task<List<string>> AccessAsync(string id, string user) =>
        Names(TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}/users/{user}/databases"), 200).Object["databases"]!);

    private static List<string> Names(JsonNode list) =>
        [.. list.AsArray().Select(x => x!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal)];
}
