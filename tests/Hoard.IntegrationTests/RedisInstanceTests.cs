using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>A Redis instance through the same Trove API: users without databases, root as Redis' default user.</summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class RedisInstanceTests(HoardServerFixture server)
{
    private const string Password = "Cache-App-123";

    private TroveClient Client => server.Client;

    private TroveSession Admin => server.Admin;

    [Fact]
    public async Task RedisInstance_FromCreateToDelete()
    {
        var body = new JsonObject
        {
            ["instance"] = new JsonObject
            {
                ["name"] = "cache",
                ["flavorRef"] = "1",
                ["volume"] = new JsonObject { ["size"] = 1 },
                ["datastore"] = new JsonObject { ["type"] = "redis", ["version"] = "7.0" },
                ["users"] = new JsonArray(new JsonObject { ["name"] = "app", ["password"] = Password }),
            },
        };
        var id = (await Client.CreateInstanceAsync(Admin, body))["id"]!.GetValue<string>();
        var active = await Client.WaitForActiveAsync(Admin, id);
        Assert.Equal("redis", active["datastore"]!["type"]!.GetValue<string>());
        var ip = active["ip"]![0]!.GetValue<string>();

        Assert.Equal("OK", (await RedisCli.RunAsync(ip, "app", Password, "SET", "greeting", "hello")).Trim());
        Assert.Equal("hello", (await RedisCli.RunAsync(ip, "app", Password, "GET", "greeting")).Trim());
        Assert.Contains("NOPERM", await RedisCli.RunAsync(ip, "app", Password, "FLUSHALL"), StringComparison.Ordinal);
        Assert.Contains("NOAUTH", await RedisCli.RunAsync(ip, null, null, "GET", "greeting"), StringComparison.Ordinal);

        var databases = await Client.GetAsync(Admin, $"instances/{id}/databases");
        Assert.True(databases.Status == 501 && databases.Text.Contains("notImplemented", StringComparison.Ordinal), databases.ToString());
        var withDatabase = await Client.PostAsync(Admin, $"instances/{id}/users",
            """{"users":[{"name":"other","password":"Other-pass-1","databases":[{"name":"x"}]}]}""");
        Assert.True(withDatabase.Status is 400 or 501, withDatabase.ToString());
        var users = TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}/users"), 200);
        Assert.Contains("\"app\"", users.Text, StringComparison.Ordinal);

        var root = TroveClient.Expect(await Client.PostAsync(Admin, $"instances/{id}/root", null), 200);
        var rootUser = root.Object["user"]!;
        var rootPassword = rootUser["password"]!.GetValue<string>();
        Assert.Contains("OK", await RedisCli.RunAsync(ip, rootUser["name"]!.GetValue<string>(), rootPassword, "CONFIG", "SET", "maxmemory-policy", "noeviction"),
            StringComparison.Ordinal);

        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(Admin, id);
    }
}
