using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hoard.IntegrationTests.Infrastructure;
using Hoard.Persistence;
using Xunit.Abstractions;

namespace Hoard.IntegrationTests;

/// <summary>
/// The <c>resize</c> action on real servers: a volume grows (its ext4 filesystem too) with the data on it, a flavor
/// change re-tunes the server to the new RAM and restarts it; every refused request changes nothing.
/// </summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed partial class ResizeTests(HoardServerFixture server, ITestOutputHelper output)
{
    private const string Password = "Resize-App-1";
    private const long GiB = 1L << 30;

    private TroveClient Client => server.Client;

    private TroveSession Admin => server.Admin;

    [LoopFact]
    public async Task VolumeResize_GrowsTheFilesystemWithTheDataOnIt_AndRefusedRequestsChangeNothing()
    {
        var id = await CreateAsync("resize-vol", "mariadb", "10.11");
        var ip = Ip(await Client.WaitForActiveAsync(Admin, id));
        await MariaDbClient.QueryOkAsync(ip, "app", Password, "shop", "CREATE TABLE kept (v INT); INSERT INTO kept VALUES (41), (42);");
        var volume = Path.Combine(server.DataDir, "volumes", id);
        Assert.InRange(await FilesystemBytesAsync(volume), 0.9 * GiB, 1.0 * GiB);

        await AssertRefusedAsync(id, """{"resize":{"volume":{"size":1}}}""", 400, "must be larger than the current size");
        await AssertRefusedAsync(id, """{"resize":{"volume":{"size":0}}}""", 400, "positive integer");
        await AssertRefusedAsync(id, """{"resize":{"volume":{"size":"two"}}}""", 400, "positive integer");
        await AssertRefusedAsync(id, """{"resize":{"volume":{}}}""", 400, "required");
        await AssertRefusedAsync(id, """{"resize":{"volume":{"size":101}}}""", 413, "cannot exceed maximum of 100 GB");
        await AssertRefusedAsync(id, """{"resize":{"volume":{"size":2},"flavorRef":"2"}}""", 400, "at the same time");
        await AssertRefusedAsync(id, """{"resize":{}}""", 400, "'volume' or 'flavorRef'");
        await WithQuotaAsync("volumes", 1, async () =>
            await AssertRefusedAsync(id, """{"resize":{"volume":{"size":3}}}""", 413, "Quota exceeded for resources: ['volumes']."));

        TroveClient.Expect(await Client.PostAsync(Admin, $"instances/{id}/action", """{"resize":{"volume":{"size":2}}}"""), 202);
        var during = TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}"), 200).Object["instance"]!;
        Assert.Equal("RESIZE", during["status"]!.GetValue<string>());
        var busy = await Client.PostAsync(Admin, $"instances/{id}/action", """{"resize":{"volume":{"size":3}}}""");
        Assert.True(busy.Status == 422, busy.ToString());

        var shown = await Client.WaitForActiveAsync(Admin, id);
        Assert.Equal(2, shown["volume"]!["size"]!.GetValue<int>());
        Assert.Equal("41\n42", (await MariaDbClient.QueryOkAsync(ip, "app", Password, "shop", "SELECT v FROM kept ORDER BY v")).Trim());
        Assert.Equal(2 * GiB, new FileInfo(volume + ".img").Length);
        Assert.InRange(await FilesystemBytesAsync(volume), 1.9 * GiB, 2.0 * GiB);
        // The grown filesystem takes writes past the old size.
        await MariaDbClient.QueryOkAsync(ip, "app", Password, "shop", "INSERT INTO kept VALUES (43);");
        output.WriteLine(ResizeLogLine(id));

        await DeleteAsync(id);
    }

    [Fact]
    public async Task FlavorResize_RetunesMariaDbToTheNewRam_KeepsTheGroupsValues_AndRefusedRequestsChangeNothing()
    {
        var id = await CreateAsync("resize-flavor", "mariadb", "10.11");
        var ip = Ip(await Client.WaitForActiveAsync(Admin, id));
        await MariaDbClient.QueryOkAsync(ip, "app", Password, "shop", "CREATE TABLE kept (v INT); INSERT INTO kept VALUES (7);");
        Assert.Equal(128L << 20, await BufferPoolAsync(ip));

        await AssertRefusedAsync(id, """{"resize":{"flavorRef":"999"}}""", 404, "Flavor 999 could not be found");
        await AssertRefusedAsync(id, """{"resize":{"flavorRef":"1"}}""", 400, "No change was requested");
        await AssertRefusedAsync(id, """{"resize":{"flavorRef":7}}""", 404, "Flavor 7 could not be found");
        await WithFlavorAsync(new("it-64", "it.micro", 64, 1, 1), async () =>
            await AssertRefusedAsync(id, """{"resize":{"flavorRef":"it-64"}}""", 400, "needs at least 256 MB"));
        await WithQuotaAsync("ram", 511, async () =>
            await AssertRefusedAsync(id, """{"resize":{"flavorRef":"2"}}""", 413, "Quota exceeded for resources: ['ram']."));

        TroveClient.Expect(await Client.PostAsync(Admin, $"instances/{id}/action", """{"resize":{"flavorRef":"2"}}"""), 202);
        Assert.Equal("RESIZE", TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}"), 200).Object["instance"]!["status"]!.GetValue<string>());
        var shown = await Client.WaitForActiveAsync(Admin, id);
        Assert.Equal("2", shown["flavor"]!["id"]!.GetValue<string>());
        Assert.Equal(512L << 20, await BufferPoolAsync(ip));
        Assert.Equal("7", (await MariaDbClient.QueryOkAsync(ip, "app", Password, "shop", "SELECT v FROM kept")).Trim());

        // A group's memory value wins over the flavor's, and must fit any flavor the instance moves to.
        var group = TroveClient.Expect(await Client.PostAsync(Admin, "configurations", """
            {"configuration":{"name":"resize-pool","values":{"innodb_buffer_pool_size":671088640},
             "datastore":{"type":"mariadb","version":"10.11"}}}
            """), 200).Object["configuration"]!["id"]!.GetValue<string>();
        TroveClient.Expect(await Client.PutAsync(Admin, $"instances/{id}", $$$"""{"instance":{"configuration":"{{{group}}}"}}"""), 202);
        await Client.WaitForActiveAsync(Admin, id);
        Assert.Equal(640L << 20, await BufferPoolAsync(ip));
        await AssertRefusedAsync(id, """{"resize":{"flavorRef":"1"}}""", 422, "does not fit flavor m1.tiny", flavorId: "2");

        TroveClient.Expect(await Client.PostAsync(Admin, $"instances/{id}/action", """{"resize":{"flavorRef":"3"}}"""), 202);
        shown = await Client.WaitForActiveAsync(Admin, id);
        Assert.Equal("3", shown["flavor"]!["id"]!.GetValue<string>());
        Assert.Equal(640L << 20, await BufferPoolAsync(ip));
        Assert.Equal("170", (await MariaDbClient.QueryOkAsync(ip, "app", Password, null, "SELECT @@GLOBAL.max_connections")).Trim());
        Assert.Equal("7", (await MariaDbClient.QueryOkAsync(ip, "app", Password, "shop", "SELECT v FROM kept")).Trim());

        await DeleteAsync(id);
        TroveClient.Expect(await Client.DeleteAsync(Admin, $"configurations/{group}"), 202);
    }

    [Fact]
    public async Task OpenStackClient_ResizesAPostgreSqlFlavorAndVolume()
    {
        const string name = "resize-cli-pg";
        var id = await CreateAsync(name, "postgresql", "15");
        var ip = Ip(await Client.WaitForActiveAsync(Admin, id));
        await PsqlClient.QueryOkAsync(ip, "app", Password, "shop", "CREATE TABLE kept (v int); INSERT INTO kept VALUES (5);");
        var before = await PsqlClient.QueryOkAsync(ip, "app", Password, "shop", "SHOW shared_buffers");

        await OpenStackOkAsync("database", "instance", "resize", "flavor", name, "2");
        var shown = await Client.WaitForActiveAsync(Admin, id);
        Assert.Equal("2", shown["flavor"]!["id"]!.GetValue<string>());
        var after = await PsqlClient.QueryOkAsync(ip, "app", Password, "shop", "SHOW shared_buffers");
        Assert.True(Megabytes(after) > Megabytes(before), $"shared_buffers did not grow with the flavor: {before} → {after}");

        await OpenStackOkAsync("database", "instance", "resize", "volume", name, "3");
        shown = await Client.WaitForActiveAsync(Admin, id);
        Assert.Equal(3, shown["volume"]!["size"]!.GetValue<int>());
        var show = JsonNode.Parse(await OpenStackOkAsync("database", "instance", "show", name, "-f", "json"))!;
        Assert.Equal(3, show["volume"]!.GetValue<int>());
        Assert.Equal("5", await PsqlClient.QueryOkAsync(ip, "app", Password, "shop", "SELECT v FROM kept"));
        output.WriteLine(ResizeLogLine(id));

        await DeleteAsync(id);
    }

    private async Task<string> CreateAsync(string name, string datastore, string version)
    {
        var body = TroveClient.InstanceBody(name, "shop", "app", Password);
        body["instance"]!["datastore"] = new JsonObject { ["type"] = datastore, ["version"] = version };
        return (await Client.CreateInstanceAsync(Admin, body))["id"]!.GetValue<string>();
    }

    private async Task DeleteAsync(string id)
    {
        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(Admin, id);
    }

    /// <summary>The action is refused with <paramref name="status"/>, and the instance is as it was: ACTIVE, same size and flavor.</summary>
    private async Task AssertRefusedAsync(string id, string body, int status, string message, string? flavorId = null)
    {
        var before = TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}"), 200).Object["instance"]!;
        var response = await Client.PostAsync(Admin, $"instances/{id}/action", body);
        Assert.True(response.Status == status, $"{body}: expected {status}, got {response}");
        Assert.Contains(message, response.Text, StringComparison.Ordinal);
        var after = TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}"), 200).Object["instance"]!;
        Assert.Equal("ACTIVE", after["status"]!.GetValue<string>());
        Assert.Equal(before["volume"]!["size"]!.GetValue<int>(), after["volume"]!["size"]!.GetValue<int>());
        Assert.Equal(flavorId ?? before["flavor"]!["id"]!.GetValue<string>(), after["flavor"]!["id"]!.GetValue<string>());
    }

    /// <summary>Runs <paramref name="action"/> with the demo project's <paramref name="resource"/> limit at its use plus <paramref name="room"/>.</summary>
    private async Task WithQuotaAsync(string resource, int room, Func<Task> action)
    {
        var path = $"mgmt/quotas/{Admin.ProjectId}";
        var row = TroveClient.Expect(await Client.GetAsync(Admin, path), 200).Object["quotas"]!.AsArray()
            .Single(r => r!["resource"]!.GetValue<string>() == resource)!;
        var (limit, used) = (row["limit"]!.GetValue<int>(), row["in_use"]!.GetValue<int>());
        TroveClient.Expect(await Client.PutAsync(Admin, path, $$$"""{"quotas":{"{{{resource}}}":{{{used + room}}}}}"""), 200);
        try
        {
            await action();
        }
        finally
        {
            TroveClient.Expect(await Client.PutAsync(Admin, path, $$$"""{"quotas":{"{{{resource}}}":{{{limit}}}}}"""), 200);
        }
    }

    /// <summary>There is no flavor API that creates one: the flavor goes into the state DB, and out again after.</summary>
    private async Task WithFlavorAsync(Core.Catalog.Flavor flavor, Func<Task> action)
    {
        var db = new StateDb(Path.Combine(server.DataDir, "state.db"));
        await new CatalogStore(db).UpsertFlavorAsync(flavor, default);
        try
        {
            await action();
        }
        finally
        {
            await using var connection = await db.OpenAsync(default);
            await using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM flavors WHERE id = $id";
            var id = command.CreateParameter();
            id.ParameterName = "$id";
            id.Value = flavor.Id;
            command.Parameters.Add(id);
            await command.ExecuteNonQueryAsync();
        }
    }

    private static async Task<long> BufferPoolAsync(string ip) =>
        long.Parse((await MariaDbClient.QueryOkAsync(ip, "app", Password, null, "SELECT @@GLOBAL.innodb_buffer_pool_size")).Trim(),
            System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Size of the filesystem mounted at <paramref name="path"/>, as df reports it.</summary>
    private static async Task<double> FilesystemBytesAsync(string path)
    {
        var df = await ProcessRunner.RunAsync("df", ["--block-size=1", "--output=size", path]);
        Assert.True(df.Succeeded, df.ToString());
        return double.Parse(df.Stdout.Trim().Split('\n')[^1].Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static int Megabytes(string shown)
    {
        var match = SizeRegex().Match(shown);
        Assert.True(match.Success, $"'{shown}' is not a size");
        var value = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        return match.Groups[2].Value == "GB" ? value * 1024 : match.Groups[2].Value == "kB" ? value / 1024 : value;
    }

    private string ResizeLogLine(string id) =>
        server.ServerLog.Split('\n').LastOrDefault(l => l.Contains($"volume of instance {id}", StringComparison.Ordinal) && l.Contains("Resized", StringComparison.Ordinal))
        ?? string.Join('\n', server.ServerLog.Split('\n').Where(l => l.Contains(id, StringComparison.Ordinal)).TakeLast(5));

    private static string Ip(JsonObject shown) => shown["ip"]![0]!.GetValue<string>();

    private async Task<string> OpenStackOkAsync(params string[] arguments)
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

        var result = await ProcessRunner.RunAsync("openstack", arguments, environment, timeoutSeconds: 90);
        Assert.True(result.Succeeded, result.ToString());
        return result.Stdout;
    }

    [GeneratedRegex(@"^(\d+)\s*(kB|MB|GB)$")]
    private static partial Regex SizeRegex();
}
