using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>Trove's guest log API: enable a slow query log, catch a slow query, publish it, read it back, disable it.</summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class GuestLogTests(HoardServerFixture server)
{
    private const string Password = "Log-App-123";

    /// <summary>Looks like a password in a statement: it must never reach a published log.</summary>
    private const string Secret = "Never-Published-42";

    private TroveClient Client => server.Client;

    private TroveSession Admin => server.Admin;

    [Fact]
    public async Task MariaDb_SlowQueryLog_EnabledPublishedReadBackAndDisabled()
    {
        var group = TroveClient.Expect(await Client.PostAsync(Admin, "configurations", """
            {"configuration":{"name":"log-slow","values":{"long_query_time":1},"datastore":{"type":"mariadb","version":"10.11"}}}
            """), 200).Object["configuration"]!["id"]!.GetValue<string>();
        var body = TroveClient.InstanceBody("log-maria", "shop", "app", Password);
        body["instance"]!["configuration"] = group;
        var id = (await Client.CreateInstanceAsync(Admin, body))["id"]!.GetValue<string>();
        var ip = (await Client.WaitForActiveAsync(Admin, id))["ip"]![0]!.GetValue<string>();

        var logs = await ListAsync(id);
        Assert.Equal(["error", "general", "slow_query"], logs.Keys.Order());
        Assert.Equal("SYS", logs["error"]["type"]!.GetValue<string>());
        Assert.Equal("Disabled", logs["slow_query"]["status"]!.GetValue<string>());
        Assert.Equal("database_logs", logs["slow_query"]["container"]!.GetValue<string>());

        var enabled = await ActAsync(id, """{"name":"slow_query","enable":1}""");
        Assert.Contains(enabled["status"]!.GetValue<string>(), new[] { "Enabled", "Ready" });
        await MariaDbClient.QueryOkAsync(ip, "app", Password, "shop", $"SELECT SLEEP(1.5) /* IDENTIFIED BY '{Secret}' */");

        var ready = await ActAsync(id, """{"name":"slow_query"}""");
        Assert.Equal("Ready", ready["status"]!.GetValue<string>());
        Assert.NotEqual("0", ready["pending"]!.GetValue<string>());
        var published = await ActAsync(id, """{"name":"slow_query","publish":1}""");
        Assert.Equal("Published", published["status"]!.GetValue<string>());
        Assert.Equal("0", published["pending"]!.GetValue<string>());
        Assert.NotEqual("0", published["published"]!.GetValue<string>());

        var contents = await TailAsync(id, "slow_query");
        Assert.Contains("SLEEP(1.5)", contents, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, contents, StringComparison.Ordinal);
        var cliTail = await OpenStackCli.OkAsync(server, "database", "log", "tail", id, "slow_query", "--lines", "100");
        Assert.Contains("SLEEP(1.5)", cliTail, StringComparison.Ordinal);
        var cliList = await OpenStackCli.OkAsync(server, "database", "log", "list", id, "-f", "json");
        Assert.Contains("\"slow_query\"", cliList, StringComparison.Ordinal);
        var saved = Path.Combine(server.DataDir, $"saved-{id}.log");
        await OpenStackCli.OkAsync(server, "database", "log", "save", id, "slow_query", "--file", saved);
        Assert.Contains("SLEEP(1.5)", await File.ReadAllTextAsync(saved), StringComparison.Ordinal);
        Assert.Contains("SLEEP(1.5)", await HoardCliProcess.OkAsync(server, "log", "tail", "log-maria", "slow_query"), StringComparison.Ordinal);
        Assert.Contains("Published", await HoardCliProcess.OkAsync(server, "log", "list", "log-maria"), StringComparison.Ordinal);

        var disabled = await OpenStackCli.OkAsync(server, "database", "log", "set", id, "slow_query", "--disable", "-f", "json");
        Assert.Equal("Disabled", JsonNode.Parse(disabled)!["status"]!.GetValue<string>());
        Assert.Equal("0", (await MariaDbClient.QueryOkAsync(ip, "app", Password, null, "SELECT @@GLOBAL.slow_query_log")).Trim());

        var discarded = await ActAsync(id, """{"name":"slow_query","discard":1}""");
        Assert.Equal("0", discarded["published"]!.GetValue<string>());
        Assert.Equal(404, (await Client.GetAsync(Admin, $"instances/{id}/log/slow_query")).Status);

        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(Admin, id);
        TroveClient.Expect(await Client.DeleteAsync(Admin, $"configurations/{group}"), 202);
    }

    [Fact]
    public async Task PostgreSql_SlowQueryLog_EnabledPublishedReadBackAndDisabled()
    {
        var body = TroveClient.InstanceBody("log-pg", "shop", "app", Password);
        body["instance"]!["datastore"] = new JsonObject { ["type"] = "postgresql", ["version"] = "15" };
        var id = (await Client.CreateInstanceAsync(Admin, body))["id"]!.GetValue<string>();
        var ip = (await Client.WaitForActiveAsync(Admin, id))["ip"]![0]!.GetValue<string>();

        var logs = await ListAsync(id);
        Assert.Equal(["error", "slow_query"], logs.Keys.Order());
        Assert.Equal("Disabled", logs["slow_query"]["status"]!.GetValue<string>());

        await ActAsync(id, """{"name":"slow_query","enable":1}""");
        Assert.Equal("1s", await PsqlClient.QueryOkAsync(ip, "app", Password, "shop", "SHOW log_min_duration_statement"));
        await PsqlClient.QueryOkAsync(ip, "app", Password, "shop", "SELECT pg_sleep(1.5)");

        var published = await ActAsync(id, """{"name":"slow_query","publish":1}""");
        Assert.Equal("Published", published["status"]!.GetValue<string>());
        var contents = await TailAsync(id, "slow_query");
        Assert.Contains("pg_sleep(1.5)", contents, StringComparison.Ordinal);
        Assert.All(contents.TrimEnd('\n').Split('\n'), line => Assert.Contains("duration:", line, StringComparison.Ordinal));
        var cliTail = await OpenStackCli.OkAsync(server, "database", "log", "tail", id, "slow_query");
        Assert.Contains("pg_sleep(1.5)", cliTail, StringComparison.Ordinal);

        var disabled = await ActAsync(id, """{"name":"slow_query","disable":1}""");
        Assert.Equal("Disabled", disabled["status"]!.GetValue<string>());
        Assert.Equal("-1", await PsqlClient.QueryOkAsync(ip, "app", Password, "shop", "SHOW log_min_duration_statement"));

        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(Admin, id);
    }

    [Fact]
    public async Task Redis_SlowLogFromMemory_PublishedAsLines()
    {
        var group = TroveClient.Expect(await Client.PostAsync(Admin, "configurations", """
            {"configuration":{"name":"log-redis","values":{"slowlog-log-slower-than":0},"datastore":{"type":"redis","version":"7.0"}}}
            """), 200).Object["configuration"]!["id"]!.GetValue<string>();
        var body = new JsonObject
        {
            ["instance"] = new JsonObject
            {
                ["name"] = "log-redis", ["flavorRef"] = "1", ["volume"] = new JsonObject { ["size"] = 1 }, ["configuration"] = group,
                ["datastore"] = new JsonObject { ["type"] = "redis", ["version"] = "7.0" },
                ["users"] = new JsonArray(new JsonObject { ["name"] = "app", ["password"] = Password }),
            },
        };
        var id = (await Client.CreateInstanceAsync(Admin, body))["id"]!.GetValue<string>();
        var ip = (await Client.WaitForActiveAsync(Admin, id))["ip"]![0]!.GetValue<string>();

        var logs = await ListAsync(id);
        Assert.Equal(["error", "slow_query"], logs.Keys.Order());
        Assert.NotEqual("Disabled", logs["slow_query"]["status"]!.GetValue<string>());
        Assert.Equal("OK", (await RedisCli.RunAsync(ip, "app", Password, "SET", "logged-key", "value-1")).Trim());

        var published = await ActAsync(id, """{"name":"slow_query","publish":1}""");
        Assert.Equal("Published", published["status"]!.GetValue<string>());
        var contents = await TailAsync(id, "slow_query");
        Assert.Contains("command: SET logged-key value-1", contents, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, contents, StringComparison.Ordinal);

        Assert.Equal("Disabled", (await ActAsync(id, """{"name":"slow_query","disable":1}"""))["status"]!.GetValue<string>());

        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(Admin, id);
        TroveClient.Expect(await Client.DeleteAsync(Admin, $"configurations/{group}"), 202);
    }

    [Fact]
    public async Task BadLogRequests_AreRefused_AndChangeNothing()
    {
        var shared = await server.GetSharedInstanceAsync();
        var path = $"instances/{shared.Id}/log";

        Assert.Equal(404, (await Client.PostAsync(Admin, path, """{"name":"nonsense","publish":1}""")).Status);
        Assert.Equal(404, (await Client.GetAsync(server.Other, path)).Status);
        Assert.Equal(404, (await Client.PostAsync(server.Other, path, """{"name":"slow_query","enable":1}""")).Status);
        Assert.Equal(400, (await Client.PostAsync(Admin, path, """{"name":"slow_query","explode":1}""")).Status);
        Assert.Equal(400, (await Client.PostAsync(Admin, path, """{"name":"slow_query","enable":"yes"}""")).Status);
        Assert.Equal(400, (await Client.PostAsync(Admin, path, """{"name":"slow_query","enable":1,"disable":1}""")).Status);
        Assert.Equal(400, (await Client.PostAsync(Admin, path, """{"enable":1}""")).Status);
        Assert.Equal(400, (await Client.PostAsync(Admin, path, """{"name":"error","disable":1}""")).Status);
        Assert.Equal(403, (await Client.PostAsync(server.Reader, path, """{"name":"slow_query","enable":1}""")).Status);

        var logs = await ListAsync(shared.Id);
        Assert.Equal("Disabled", logs["slow_query"]["status"]!.GetValue<string>());
    }

    private async Task<Dictionary<string, JsonObject>> ListAsync(string id) =>
        TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}/log"), 200).Object["logs"]!.AsArray()
            .Select(l => l!.AsObject()).ToDictionary(l => l["name"]!.GetValue<string>());

    private async Task<JsonObject> ActAsync(string id, string body) =>
        TroveClient.Expect(await Client.PostAsync(Admin, $"instances/{id}/log", body), 200).Object["log"]!.AsObject();

    private async Task<string> TailAsync(string id, string name) =>
        TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}/log/{name}?lines=0"), 200).Object["log"]!["contents"]!.GetValue<string>();
}
