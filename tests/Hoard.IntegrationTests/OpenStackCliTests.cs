using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>What a user of the unmodified OpenStack client does, against hoard-server, end to end.</summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class OpenStackCliTests(HoardServerFixture server)
{
    private const string Name = "e2e";
    private const string AppPassword = "E2e-App-Pw-1";

    [Theory]
    [InlineData("mariadb", "10.11")]
    [InlineData("postgresql", "15")]
    [InlineData("redis", "7.0")]
    public Task OpenStackClient_CreatesUsesAndDeletesAnInstance(string datastore, string version) =>
        OpenStackInstanceFlow.CreateUseAndDeleteAsync(OpenStackAsync, $"{Name}-{datastore}", datastore, version);

    [Fact]
    public async Task OpenStackClient_ConfigurationGroup_LiveValue_ThenRestartRequiredValue()
    {
        const string Instance = "e2e-cfg";
        var body = TroveClient.InstanceBody(Instance, "shop", "app", AppPassword);
        var id = (await server.Client.CreateInstanceAsync(server.Admin, body))["id"]!.GetValue<string>();

        var parameters = await OpenStackOkAsync("database", "configuration", "parameter", "list", "10.11", "--datastore", "mariadb", "-f", "json");
        Assert.Contains(JsonNode.Parse(parameters)!.AsArray(), p => p!["Name"]!.GetValue<string>() == "max_connections");

        var created = await OpenStackOkAsync("database", "configuration", "create", "e2e-group", """{"max_connections": 142}""",
            "--datastore", "mariadb", "--datastore-version", "10.11", "-f", "json");
        var group = JsonNode.Parse(created)!["id"]!.GetValue<string>();
        var ip = (await server.Client.WaitForActiveAsync(server.Admin, id))["ip"]![0]!.GetValue<string>();

        await OpenStackOkAsync("database", "configuration", "attach", Instance, group);
        await server.Client.WaitForActiveAsync(server.Admin, id);
        Assert.Equal("142", await GlobalAsync(ip, "max_connections"));
        Assert.Contains(id, await OpenStackOkAsync("database", "configuration", "instances", group, "-f", "json"), StringComparison.Ordinal);
        var defaults = await OpenStackOkAsync("database", "configuration", "default", Instance, "-f", "json");
        Assert.Contains("142", defaults, StringComparison.Ordinal);

        await OpenStackOkAsync("database", "configuration", "parameter", "set", group, $$"""{"{{StaticParameter}}": {{StaticValue}}}""");
        await server.Client.WaitForStatusAsync(server.Admin, id, "RESTART_REQUIRED");
        Assert.NotEqual(StaticValue, await GlobalAsync(ip, StaticParameter));
        var shown = await OpenStackOkAsync("database", "instance", "show", Instance, "-f", "json");
        Assert.Equal("RESTART_REQUIRED", JsonNode.Parse(shown)!["status"]!.GetValue<string>());

        await OpenStackOkAsync("database", "instance", "restart", Instance);
        await server.Client.WaitForActiveAsync(server.Admin, id);
        Assert.Equal(StaticValue, await GlobalAsync(ip, StaticParameter));
        Assert.Equal("142", await GlobalAsync(ip, "max_connections"));

        var refused = await OpenStackAsync("database", "configuration", "delete", group);
        Assert.False(refused.Succeeded, $"a group in use was deleted: {refused}");
        await OpenStackOkAsync("database", "configuration", "detach", Instance);
        await server.Client.WaitForStatusAsync(server.Admin, id, "RESTART_REQUIRED");
        Assert.Equal("50", await GlobalAsync(ip, "max_connections"));
        await OpenStackOkAsync("database", "configuration", "delete", group);
        await OpenStackOkAsync("database", "instance", "delete", Instance);
        await server.Client.WaitUntilGoneAsync(server.Admin, id);
    }

    // Read-only in MariaDB: a change waits for the next restart.
    private const string StaticParameter = "back_log";
    private const string StaticValue = "97";

    private static async Task<string> GlobalAsync(string ip, string variable) =>
        (await MariaDbClient.QueryOkAsync(ip, "app", AppPassword, null, $"SELECT @@GLOBAL.{variable}")).Trim();

    private Task<string> OpenStackOkAsync(params string[] arguments) => OpenStackCli.OkAsync(server, arguments);

    /// <summary>Replicas the way a Trove user makes and manages them: create --replica-of, promote, eject (refused), detach.</summary>
    [Fact]
    public async Task OpenStackClient_Replica_Promote_Detach()
    {
        var sourceName = $"{Name}-repl-src";
        var replicaName = $"{Name}-repl-r";
        var create = await OpenStackAsync("database", "instance", "create", sourceName, "--flavor", "1", "--size", "1",
            "--databases", "shop", "--users", $"app:{AppPassword}", "-f", "json");
        Assert.True(create.Succeeded, create.ToString());
        await WaitForActiveAsync(sourceName);

        var replica = await OpenStackAsync("database", "instance", "create", replicaName, "--replica-of", sourceName, "-f", "json");
        Assert.True(replica.Succeeded, replica.ToString());
        var shown = await WaitForActiveAsync(replicaName);
        Assert.Equal(JsonNode.Parse(create.Stdout)!["id"]!.GetValue<string>(), shown["replica_of"]?.GetValue<string>());

        var eject = await OpenStackAsync("database", "instance", "eject", sourceName);
        Assert.False(eject.Succeeded, $"a live source was ejected: {eject}");
        Assert.Contains("promote_to_replica_source", eject.Stdout + eject.Stderr, StringComparison.Ordinal);

        var promote = await OpenStackAsync("database", "instance", "promote", replicaName);
        Assert.True(promote.Succeeded, promote.ToString());
        await WaitForActiveAsync(replicaName);
        var oldSource = await WaitForActiveAsync(sourceName);
        Assert.Equal(JsonNode.Parse(replica.Stdout)!["id"]!.GetValue<string>(), oldSource["replica_of"]?.GetValue<string>());

        var detach = await OpenStackAsync("database", "instance", "detach", sourceName);
        Assert.True(detach.Succeeded, detach.ToString());
        await Poll.UntilAsync(async () => (await WaitForActiveAsync(sourceName))["replica_of"] is null,
            $"{sourceName} still showed replica_of after its detach", 60);

        foreach (var name in new[] { sourceName, replicaName })
        {
            var delete = await OpenStackAsync("database", "instance", "delete", name);
            Assert.True(delete.Succeeded, delete.ToString());
        }
    }

    private async Task<JsonObject> WaitForActiveAsync(string name)
    {
        JsonObject? shown = null;
        ProcessResult? last = null;
        await Poll.UntilAsync(async () =>
        {
            last = await OpenStackAsync("database", "instance", "show", name, "-f", "json");
            Assert.True(last.Succeeded, last.ToString());
            shown = JsonNode.Parse(last.Stdout)!.AsObject();
            if (shown["status"]!.GetValue<string>() == "ERROR")
            {
                var fault = (await server.Client.GetAsync(server.Admin, $"instances/{shown["id"]}")).Text +
                            (shown["replica_of"] is { } source ? (await server.Client.GetAsync(server.Admin, $"instances/{source}")).Text : "");
                Assert.Fail($"{name} went into ERROR: {fault}");
            }

            return shown["status"]!.GetValue<string>() == "ACTIVE";
        }, $"`openstack database instance show {name}` never said ACTIVE", 180, () => last?.ToString() ?? "nothing", intervalMs: 500);
        return shown!;
    }

    private Task<ProcessResult> OpenStackAsync(params string[] arguments) => OpenStackCli.RunAsync(server, arguments);
}
