using System.Text.Json.Nodes;

namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>
/// The spine issue's end-to-end flow with the unmodified <c>openstack</c> client: create an instance with a database and a
/// user, wait for ACTIVE, use it with the datastore's own client, list its databases and users, delete it, and check that
/// nothing of it is left running. Shared by the single-server test and the distributed cluster's, which differ only in
/// the server the client talks to.
/// </summary>
internal static class OpenStackInstanceFlow
{
    private const string AppPassword = "E2e-App-Pw-1";

    /// <summary>Runs the flow with <paramref name="openStack"/> (the <c>openstack</c> client bound to one server's credentials).</summary>
    /// <param name="whileActive">Extra checks on the ACTIVE instance (its id and address) before it is deleted.</param>
    public static async Task CreateUseAndDeleteAsync(Func<string[], Task<ProcessResult>> openStack, string name, string datastore,
        string version, Func<string, string, Task>? whileActive = null)
    {
        var withDatabases = datastore != "redis";
        string[] databaseArguments = withDatabases ? ["--databases", "shop"] : [];
        var create = await openStack(["database", "instance", "create", name, "--flavor", "1", "--size", "1",
            "--datastore", datastore, "--datastore-version", version, .. databaseArguments, "--users", $"app:{AppPassword}", "-f", "json"]);
        Assert.True(create.Succeeded, create.ToString());
        var id = JsonNode.Parse(create.Stdout)!["id"]!.GetValue<string>();

        JsonObject? shown = null;
        ProcessResult? last = null;
        await Poll.UntilAsync(async () =>
        {
            last = await openStack(["database", "instance", "show", name, "-f", "json"]);
            Assert.True(last.Succeeded, last.ToString());
            shown = JsonNode.Parse(last.Stdout)!.AsObject();
            Assert.NotEqual("ERROR", shown["status"]!.GetValue<string>());
            return shown["status"]!.GetValue<string>() == "ACTIVE";
        }, $"`openstack database instance show {name}` never said ACTIVE", 120, () => last?.ToString() ?? "nothing", intervalMs: 500);
        var ip = Ip(shown!["ip"]!);

        switch (datastore)
        {
            case "mariadb":
                await MariaDbClient.QueryOkAsync(ip, "app", AppPassword, "shop",
                    "CREATE TABLE visits (id INT PRIMARY KEY, who VARCHAR(40)); INSERT INTO visits VALUES (7, 'openstack');");
                Assert.Equal("7\topenstack", (await MariaDbClient.QueryOkAsync(ip, "app", AppPassword, "shop", "SELECT id, who FROM visits")).Trim());
                break;
            case "postgresql":
                await PsqlClient.QueryOkAsync(ip, "app", AppPassword, "shop",
                    "CREATE TABLE visits (id int PRIMARY KEY, who text); INSERT INTO visits VALUES (7, 'openstack');");
                Assert.Equal("7|openstack", await PsqlClient.QueryOkAsync(ip, "app", AppPassword, "shop", "SELECT id, who FROM visits"));
                break;
            default:
                Assert.Equal("OK", (await RedisCli.RunAsync(ip, "app", AppPassword, "SET", "visits", "7")).Trim());
                Assert.Equal("7", (await RedisCli.RunAsync(ip, "app", AppPassword, "GET", "visits")).Trim());
                Assert.Contains("WRONGPASS", await RedisCli.RunAsync(ip, "app", "not-the-password", "GET", "visits"), StringComparison.Ordinal);
                break;
        }

        if (withDatabases)
        {
            var databases = await openStack(["database", "db", "list", name, "-f", "json"]);
            Assert.True(databases.Succeeded, databases.ToString());
            Assert.Contains(JsonNode.Parse(databases.Stdout)!.AsArray(), d => d!["Name"]!.GetValue<string>() == "shop");
        }

        var users = await openStack(["database", "user", "list", name, "-f", "json"]);
        Assert.True(users.Succeeded, users.ToString());
        Assert.Contains(JsonNode.Parse(users.Stdout)!.AsArray(), u => u!["Name"]!.GetValue<string>() == "app");

        if (whileActive is not null)
        {
            await whileActive(id, ip);
        }

        var delete = await openStack(["database", "instance", "delete", name]);
        Assert.True(delete.Succeeded, delete.ToString());
        await Poll.UntilAsync(async () =>
        {
            last = await openStack(["database", "instance", "list", "-f", "json"]);
            Assert.True(last.Succeeded, last.ToString());
            return !JsonNode.Parse(last.Stdout)!.AsArray().Any(i => i!["Name"]!.GetValue<string>() == name);
        }, $"`openstack database instance list` kept listing {name} after delete", 60, () => last?.ToString() ?? "nothing", intervalMs: 500);

        var gone = await openStack(["database", "instance", "show", name, "-f", "json"]);
        Assert.False(gone.Succeeded, $"`instance show` still finds the deleted instance: {gone}");
        Assert.Empty(ProcessTable.Mentioning(id));
    }

    /// <summary>The client prints addresses as a list or as a comma-separated string, depending on its version.</summary>
    public static string Ip(JsonNode node) => node is JsonArray list
        ? list[0]!.GetValue<string>()
        : node.GetValue<string>().Split(',', StringSplitOptions.TrimEntries)[0];
}
