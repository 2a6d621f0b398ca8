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

    [Fact]
    public async Task OpenStackClient_CreatesUsesAndDeletesAMariaDbInstance()
    {
        var create = await OpenStackAsync("database", "instance", "create", Name, "--flavor", "1", "--size", "1",
            "--datastore", "mariadb", "--datastore-version", "10.11", "--databases", "shop", "--users", $"app:{AppPassword}", "-f", "json");
        Assert.True(create.Succeeded, create.ToString());
        var id = JsonNode.Parse(create.Stdout)!["id"]!.GetValue<string>();

        JsonObject? shown = null;
        ProcessResult? last = null;
        await Poll.UntilAsync(async () =>
        {
            last = await OpenStackAsync("database", "instance", "show", Name, "-f", "json");
            Assert.True(last.Succeeded, last.ToString());
            shown = JsonNode.Parse(last.Stdout)!.AsObject();
            Assert.NotEqual("ERROR", shown["status"]!.GetValue<string>());
            return shown["status"]!.GetValue<string>() == "ACTIVE";
        }, "`openstack database instance show e2e` never said ACTIVE", 120, () => last?.ToString() ?? "nothing", intervalMs: 500);
        var ip = Ip(shown!["ip"]!);

        await MariaDbClient.QueryOkAsync(ip, "app", AppPassword, "shop",
            "CREATE TABLE visits (id INT PRIMARY KEY, who VARCHAR(40)); INSERT INTO visits VALUES (7, 'openstack');");
        Assert.Equal("7\topenstack", (await MariaDbClient.QueryOkAsync(ip, "app", AppPassword, "shop", "SELECT id, who FROM visits")).Trim());

        var databases = await OpenStackAsync("database", "db", "list", Name, "-f", "json");
        Assert.True(databases.Succeeded, databases.ToString());
        Assert.Contains(JsonNode.Parse(databases.Stdout)!.AsArray(), d => d!["Name"]!.GetValue<string>() == "shop");

        var users = await OpenStackAsync("database", "user", "list", Name, "-f", "json");
        Assert.True(users.Succeeded, users.ToString());
        Assert.Contains(JsonNode.Parse(users.Stdout)!.AsArray(), u => u!["Name"]!.GetValue<string>() == "app");

        var delete = await OpenStackAsync("database", "instance", "delete", Name);
        Assert.True(delete.Succeeded, delete.ToString());
        await Poll.UntilAsync(async () =>
        {
            last = await OpenStackAsync("database", "instance", "list", "-f", "json");
            Assert.True(last.Succeeded, last.ToString());
            return !JsonNode.Parse(last.Stdout)!.AsArray().Any(i => i!["Name"]!.GetValue<string>() == Name);
        }, "`openstack database instance list` kept listing e2e after delete", 60, () => last?.ToString() ?? "nothing", intervalMs: 500);

        var gone = await OpenStackAsync("database", "instance", "show", Name, "-f", "json");
        Assert.False(gone.Succeeded, $"`instance show` still finds the deleted instance: {gone}");
        Assert.Empty(ProcessTable.Mentioning(id));
    }

    /// <summary>Runs <c>openstack</c> with the admin-openrc.sh credentials and nothing else from the caller's OS_* settings.</summary>
    private Task<ProcessResult> OpenStackAsync(params string[] arguments)
    {
        var environment = new Dictionary<string, string?>();
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("OS_", StringComparison.Ordinal)))
        {
            environment[key] = null;
        }

        foreach (var (key, value) in server.OpenRc)
        {
            environment[key] = value;
        }

        return ProcessRunner.RunAsync("openstack", arguments, environment, timeoutSeconds: 90);
    }

    /// <summary>The client prints addresses as a list or as a comma-separated string, depending on its version.</summary>
    private static string Ip(JsonNode node) => node is JsonArray list
        ? list[0]!.GetValue<string>()
        : node.GetValue<string>().Split(',', StringSplitOptions.TrimEntries)[0];
}
