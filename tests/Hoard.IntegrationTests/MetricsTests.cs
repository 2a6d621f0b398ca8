using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class MetricsTests(HoardServerFixture server)
{
    private TroveClient Client => server.Client;

    private TroveSession Admin => server.Admin;

    [Fact]
    public async Task Metrics_CountTheInstanceItsRequestAndItsWorkflow_AndForgetItWhenDeleted()
    {
        const string createRoute = "route=\"/v1.0/{projectId}/instances\"";
        var before = await ScrapeAsync();

        var created = await Client.CreateInstanceAsync(Admin, TroveClient.InstanceBody("metered", database: null, user: null));
        var id = created["id"]!.GetValue<string>();
        await Client.WaitForActiveAsync(Admin, id);
        var instanceLabel = $"instance_id=\"{id}\"";
        string after = "";
        await Poll.UntilAsync(async () =>
        {
            after = await ScrapeAsync();
            return Sum(after, "hoard_instance_volume_size_bytes", instanceLabel) > 0 && Sum(after, "hoard_instance_memory_bytes", instanceLabel) > 0;
        }, $"/metrics never showed the volume and memory of instance {id}", 30, () => after);

        Assert.Equal(Sum(before, "hoard_instances", "status=\"ACTIVE\"") + 1, Sum(after, "hoard_instances", "status=\"ACTIVE\""));
        Assert.True(Sum(after, "hoard_api_request_duration_seconds_count", "method=\"POST\"", createRoute, "status=\"200\"") >=
                    Sum(before, "hoard_api_request_duration_seconds_count", "method=\"POST\"", createRoute, "status=\"200\"") + 1, after);
        Assert.Equal(Sum(before, "hoard_workflow_duration_seconds_count", "type=\"provision_instance\"", "outcome=\"succeeded\"") + 1,
            Sum(after, "hoard_workflow_duration_seconds_count", "type=\"provision_instance\"", "outcome=\"succeeded\""));
        Assert.True(Sum(after, "hoard_instance_heartbeat_age_seconds", instanceLabel) < HoardServerFixture.HeartbeatExpirySeconds, after);
        Assert.Contains($"hoard_instance_connections{{{instanceLabel},datastore=\"mariadb\"}}", after);
        Assert.DoesNotContain("metered", after);
        Assert.DoesNotContain(Admin.ProjectId, after);

        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(Admin, id);
        var gone = await ScrapeAsync();
        Assert.DoesNotContain(instanceLabel, gone);
    }

    [Fact]
    public async Task MetricsBearerTokenIsOff_ByDefault_SoPrometheusScrapesWithoutCredentials()
    {
        var response = await Client.SendAsync(HttpMethod.Get, "/metrics");

        Assert.Equal(200, response.Status);
        Assert.Contains("# TYPE hoard_instances gauge", response.Text);
    }

    [Fact]
    public async Task InstanceMetrics_ConnectionCount_RisesWhileClientsHoldConnections()
    {
        var shared = await server.GetSharedInstanceAsync();
        var baseline = await LatestAsync(shared.Id, s => s["connections"] is not null, "a connection count");
        Assert.True(baseline["volume_size_bytes"]!.GetValue<long>() > 0, baseline.ToJsonString());
        Assert.True(baseline["memory_bytes"]!.GetValue<long>() > 0, baseline.ToJsonString());
        Assert.EndsWith("Z", baseline["time"]!.GetValue<string>());
        // The fewest seen lately: a sample can catch another test's or the guest's own short-lived connection.
        var idle = (await HistoryAsync(shared.Id)).Where(s => s["connections"] is not null).Min(s => s["connections"]!.GetValue<long>());

        var clients = Enumerable.Range(0, 3).Select(_ => Sleeper(shared.Ip)).ToList();
        try
        {
            await LatestAsync(shared.Id, s => s["connections"]?.GetValue<long>() >= idle + 3, $"at least {idle + 3} connections");
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Kill();
                client.Dispose();
            }
        }

        var history = await HistoryAsync(shared.Id);
        var times = history.Select(s => DateTimeOffset.Parse(s["time"]!.GetValue<string>(), CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(times.Order(), times);
        Assert.Contains(history, s => s["queries_per_second"] is not null);
    }

    private async Task<string> ScrapeAsync() => TroveClient.Expect(await Client.SendAsync(HttpMethod.Get, "/metrics"), 200).Text;

    /// <summary>Sums the samples of <paramref name="name"/> whose labels include all of <paramref name="labels"/>.</summary>
    private static double Sum(string scrape, string name, params string[] labels) =>
        scrape.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
            .Where(line => labels.All(line.Contains))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    private async Task<List<JsonObject>> HistoryAsync(string id) =>
        [.. TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}/metrics"), 200).Object["metrics"]!.AsArray().Select(s => s!.AsObject())];

    private async Task<JsonObject> LatestAsync(string id, Func<JsonObject, bool> condition, string what)
    {
        JsonObject? latest = null;
        await Poll.UntilAsync(async () =>
        {
            latest = (await HistoryAsync(id)).LastOrDefault();
            return latest is not null && condition(latest);
        }, $"The metrics of instance {id} never showed {what}", 30, () => latest?.ToJsonString() ?? "no sample");
        return latest!;
    }

    /// <summary>A client that holds one connection open for a minute; the password travels in MYSQL_PWD.</summary>
    private static Process Sleeper(string ip)
    {
        var start = new ProcessStartInfo("mariadb", ["--no-defaults", "-h", ip, "-u", "app", "shop", "-e", "SELECT SLEEP(60)"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.Environment["MYSQL_PWD"] = SharedInstance.AppPassword;
        return Process.Start(start)!;
    }
}
