using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>
/// The <c>hosts</c> compute provider on three hosts simulated as network namespaces, each with its own address and a
/// host agent: instances are placed by free capacity and locality, run inside their host's namespace, are reached from
/// outside at their host's addresses, and a host's death turns its instances SHUTDOWN and fails its sources over.
/// </summary>
[Collection(HostsClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ManyHostsTests(HostsClusterFixture fixture)
{
    private const string Password = "Hosts-App-5";

    private HoardServerFixture Server => fixture.Server;

    private TroveClient Client => fixture.Server.Client;

    private TroveSession Admin => fixture.Server.Admin;

    [HostsFact]
    public async Task MariaDb_IsPlacedOnAHost_RunsInItsNamespace_AClientOutsideCreatesATable_AndItReplicatesToAnotherHost()
    {
        try
        {
            var id = (await Client.CreateInstanceAsync(Admin, TroveClient.InstanceBody("hosts-maria", "shop", "app", Password)))["id"]!.GetValue<string>();
            var active = await Client.WaitForActiveAsync(Admin, id, seconds: 300);
            var ip = active["ip"]![0]!.GetValue<string>();
            var host = await HostOfAsync(id);
            var n = HostNumber(host);
            Assert.Contains(ip, fixture.Hosts.Pool(n));

            var agentDir = fixture.Agents[n - 1].DataDir;
            var guestPid = int.Parse(await File.ReadAllTextAsync(Path.Combine(agentDir, "instances", id, "guest.pid")), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Contains(guestPid, fixture.Hosts.Processes(n));
            Assert.Equal(fixture.Hosts.Namespace(n), (await ProcessRunner.RunAsync("ip", ["netns", "identify", guestPid.ToString(System.Globalization.CultureInfo.InvariantCulture)])).Stdout.Trim());

            await MariaDbClient.QueryOkAsync(ip, "app", Password, "shop", "CREATE TABLE orders (id INT PRIMARY KEY, item VARCHAR(20))");
            await MariaDbClient.QueryOkAsync(ip, "app", Password, "shop", "INSERT INTO orders VALUES (1, 'far away')");
            Assert.Equal("far away", (await MariaDbClient.QueryOkAsync(ip, "app", Password, "shop", "SELECT item FROM orders WHERE id = 1")).Trim());

            // A replica is seeded from a backup streamed through hoard-server (on the bridge, for guests in namespaces)
            // and replicates across hosts.
            TroveClient.Expect(await Client.PostAsync(Admin, "instances", ReplicationTests.ReplicaBody("hosts-maria-rep", id).ToJsonString()), 200);
            var replica = Assert.Single(await ReplicasOfAsync(id, 1));
            var replicaIp = (await Client.WaitForActiveAsync(Admin, replica, seconds: 300))["ip"]![0]!.GetValue<string>();
            Assert.NotEqual(host, await HostOfAsync(replica));
            await MariaDbClient.QueryOkAsync(ip, "app", Password, "shop", "INSERT INTO orders VALUES (2, 'replicated')");
            await Poll.UntilAsync(async () => (await MariaDbClient.QueryAsync(replicaIp, "app", Password, "shop",
                "SELECT item FROM orders WHERE id = 2")).Stdout.Contains("replicated", StringComparison.Ordinal),
                "the row written on the source did not reach the replica on the other host", 30);

            var password = fixture.Broker.Options.Url.UserInfo.Split(':', 2)[1];
            var leaking = ProcessTable.Mentioning(password);
            Assert.True(leaking.Count == 0, $"the broker password is on a command line: {ProcessTable.Describe(leaking)}");
            Assert.DoesNotContain(password, fixture.AgentLogs, StringComparison.Ordinal);
            var guestConfig = Path.Combine(agentDir, "instances", id, "guest.json");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(guestConfig));
            Assert.Contains($"@{fixture.Hosts.BridgeAddress}:", await File.ReadAllTextAsync(guestConfig), StringComparison.Ordinal);
            // The guest connects as its own broker user, not as its host's or the server's.
            Assert.Contains($"\"amqp://hoard-guest-{id}:", await File.ReadAllTextAsync(guestConfig), StringComparison.Ordinal);

            var shownHost = TroveClient.Expect(await Client.GetAsync(Admin, $"mgmt/hosts/{host}"), 200).Object["host"]!;
            Assert.Equal(fixture.Hosts.HostAddress(n), shownHost["address"]!.GetValue<string>());
            Assert.Contains(id, shownHost["instances"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()));
            TroveClient.Expect(await Client.GetAsync(Server.Other, $"mgmt/hosts/{host}"), 401);

            await DeleteAsync(replica);
            await DeleteAsync(id);
            Assert.False(Directory.Exists(Path.Combine(agentDir, "instances", id)), "the instance's directory is still on its host");
            Assert.False(Directory.Exists(Path.Combine(agentDir, "volumes", id)), "the instance's volume is still on its host");
        }
        finally
        {
            await RemoveAllInstancesAsync();
        }
    }

    /// <summary>
    /// Hosts of 4096, 4096 and 8192 MB and instances of 4096 MB: the first goes to the host with most free RAM (h3), the
    /// next two to the others (equal free RAM: more free disk first, then by name), the fourth to h3 again, and a fifth
    /// fits nowhere now: ERROR, with a fault that says why for each host. One no host could ever hold is refused up front.
    /// </summary>
    [HostsFact]
    public async Task Instances_AreSpreadByFreeCapacity_AndOneThatFitsNowhereEndsInErrorWithAReadableFault()
    {
        try
        {
            var huge = RedisBody("hosts-huge");
            huge["instance"]!["volume"] = new JsonObject { ["size"] = 60 };
            var refused = TroveClient.Expect(await Client.PostAsync(Admin, "instances", huge.ToJsonString()), 400);
            Assert.Equal("No host can ever hold this instance (512 MB of RAM, 60 GB of disk): the hosts offer at most 8192 MB of RAM and 50 GB of disk.",
                refused.Object["badRequest"]!["message"]!.GetValue<string>());
            Assert.Empty(await Client.ListInstancesAsync(Admin));

            var ids = new List<string>();
            var placed = new List<string>();
            for (var i = 1; i <= 3; i++)
            {
                var id = await CreateRedisAsync($"hosts-spread-{i}", flavor: "4");
                ids.Add(id);
                placed.Add(await HostOfAsync(id));
            }

            Assert.Equal(["h3", "h1", "h2"], placed);
            var hosts = TroveClient.Expect(await Client.GetAsync(Admin, "mgmt/hosts"), 200).Object["hosts"]!.AsArray();
            Assert.All(hosts, h => Assert.Equal(1, h!["instanceCount"]!.GetValue<int>()));

            var fourth = await CreateRedisAsync("hosts-spread-4", flavor: "4");
            ids.Add(fourth);
            Assert.Equal("h3", await HostOfAsync(fourth));
            var overflow = await CreateRedisAsync("hosts-spread-5", flavor: "4");
            ids.Add(overflow);
            var failed = await WaitForErrorAsync(overflow);
            Assert.Equal("Building the instance failed at step 'allocate_resources': No host can take this instance: none that is up has room for " +
                         "4096 MB of RAM and 1 GB of disk (h1 has 0 MB of RAM free; h2 has 0 MB of RAM free; h3 has 0 MB of RAM free).",
                failed["fault"]!["message"]!.GetValue<string>());

            foreach (var id in ids.Take(4))
            {
                await Client.WaitForActiveAsync(Admin, id, seconds: 120);
            }

            await DeleteAsync([.. ids]);
        }
        finally
        {
            await RemoveAllInstancesAsync();
        }
    }

    [HostsFact]
    public async Task Replicas_GoToOtherHostsByDefault_AndStayWithTheirSourceUnderAffinity()
    {
        try
        {
            TroveClient.Expect(await Client.PostAsync(Admin, "instances", WithLocality(RedisBody("hosts-bad"), "nearby").ToJsonString()), 400);
            var source = await CreateRedisAsync("hosts-src");
            await Client.WaitForActiveAsync(Admin, source, seconds: 120);
            var asked = ReplicationTests.ReplicaBody("hosts-rep", source);
            asked["instance"]!["locality"] = "affinity";
            var refused = TroveClient.Expect(await Client.PostAsync(Admin, "instances", asked.ToJsonString()), 400);
            Assert.Contains("locality", refused.Object["badRequest"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);

            var replicas = ReplicationTests.ReplicaBody("hosts-rep", source);
            replicas["instance"]!["replica_count"] = 2;
            TroveClient.Expect(await Client.PostAsync(Admin, "instances", replicas.ToJsonString()), 200);
            var replicaIds = await ReplicasOfAsync(source, 2);
            foreach (var id in replicaIds)
            {
                await Client.WaitForActiveAsync(Admin, id, seconds: 180);
            }

            string[] spread = [await HostOfAsync(source), .. await Task.WhenAll(replicaIds.Select(HostOfAsync))];
            Assert.Equal(3, spread.Distinct().Count());

            var together = await CreateRedisAsync("hosts-aff", locality: "affinity");
            var shown = await Client.WaitForActiveAsync(Admin, together, seconds: 120);
            Assert.Equal("affinity", shown["locality"]?.GetValue<string>());
            TroveClient.Expect(await Client.PostAsync(Admin, "instances", ReplicationTests.ReplicaBody("hosts-aff-rep", together).ToJsonString()), 200);
            var close = Assert.Single(await ReplicasOfAsync(together, 1));
            await Client.WaitForActiveAsync(Admin, close, seconds: 180);
            Assert.Equal(await HostOfAsync(together), await HostOfAsync(close));

            await DeleteAsync([.. replicaIds, close]);
            await DeleteAsync(source, together);
        }
        finally
        {
            await RemoveAllInstancesAsync();
        }
    }

    /// <summary>
    /// A standalone instance, and a source with its replica on another host: the source's host dies (its agent and
    /// every process in its namespace are killed). The standalone instance goes SHUTDOWN; the replica is promoted and
    /// the write endpoint leads to it; the old source is rebuilt as its replica on the third host. When the host comes
    /// back, the standalone instance's guest is started again with its data, and what was left there of an instance
    /// deleted meanwhile is removed.
    /// </summary>
    [HostsFact]
    public async Task HostDies_ItsInstancesGoShutdown_AndItsSourceFailsOverToAReplicaOnAnotherHost()
    {
        try
        {
            var store = Store.For("redis", Password);
            var doomed = await CreateRedisAsync("hosts-doomed");
            await Client.WaitForActiveAsync(Admin, doomed, seconds: 120);
            var standalone = await CreateRedisAsync("hosts-lone");
            var standaloneIp = (await Client.WaitForActiveAsync(Admin, standalone, seconds: 120))["ip"]![0]!.GetValue<string>();
            await store.WriteAsync(standaloneIp, "kept", "yes");
            var source = await CreateRedisAsync("hosts-fo-src");
            await Client.WaitForActiveAsync(Admin, source, seconds: 120);
            TroveClient.Expect(await Client.PostAsync(Admin, "instances", ReplicationTests.ReplicaBody("hosts-fo-rep", source).ToJsonString()), 200);
            var replica = Assert.Single(await ReplicasOfAsync(source, 1));
            var replicaIp = (await Client.WaitForActiveAsync(Admin, replica, seconds: 180))["ip"]![0]!.GetValue<string>();

            var dying = await HostOfAsync(source);
            Assert.Equal(dying, await HostOfAsync(standalone));
            Assert.Equal(dying, await HostOfAsync(doomed));
            var doomedDir = Path.Combine(fixture.Agents[HostNumber(dying) - 1].DataDir, "instances", doomed);
            Assert.True(Directory.Exists(doomedDir));
            var survivor = await HostOfAsync(replica);
            Assert.NotEqual(dying, survivor);
            var shown = TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{source}"), 200).Object["instance"]!;
            var endpoint = $"{shown["replication"]!["endpoint"]!["address"]}:{shown["replication"]!["endpoint"]!["port"]}";
            await Poll.UntilAsync(() => store.TryWriteAsync(endpoint, "before", "1"), $"No write through the endpoint {endpoint}", 20);
            await ReplicationTests.WaitForValueAsync(store, replicaIp, "before", "1");

            var n = HostNumber(dying);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            fixture.Hosts.Kill(n);
            try
            {
                Assert.Empty(fixture.Hosts.Processes(n));
                await Poll.UntilAsync(() => store.TryWriteAsync(endpoint, "after", "2"), $"No write through {endpoint} after host {dying} died", 90,
                    () => Server.ServerLog, intervalMs: 250);
                var failedOver = watch.Elapsed.TotalSeconds;
                await WaitForOperatingStatusAsync(standalone, "SHUTDOWN");
                Console.WriteLine($"host {dying} killed → first write through the endpoint {failedOver:0.0} s; standalone SHUTDOWN {watch.Elapsed.TotalSeconds:0.0} s");
                Assert.Equal("2", await store.ReadAsync(replicaIp, "after"));
                var promoted = TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{replica}"), 200).Object["instance"]!;
                Assert.Null(promoted["replica_of"]);
                var hostList = TroveClient.Expect(await Client.GetAsync(Admin, "mgmt/hosts"), 200).Object["hosts"]!.AsArray();
                Assert.Equal("down", hostList.Single(h => h!["name"]!.GetValue<string>() == dying)!["status"]!.GetValue<string>());

                var rebuilt = await Client.WaitForActiveAsync(Admin, source, seconds: 240);
                Assert.Equal(replica, rebuilt["replica_of"]?["id"]?.GetValue<string>());
                var rebuiltOn = await HostOfAsync(source);
                Assert.NotEqual(dying, rebuiltOn);
                Assert.NotEqual(survivor, rebuiltOn);
                await ReplicationTests.WaitForValueAsync(store, rebuilt["ip"]![0]!.GetValue<string>(), "after", "2");

                // Deleting an instance on a down host succeeds at once; its leftovers go when the host is back.
                await DeleteAsync(doomed);
            }
            finally
            {
                await fixture.ReviveAsync(n);
            }

            await Poll.UntilAsync(() => Task.FromResult(!Directory.Exists(doomedDir)),
                $"{doomedDir} (of an instance deleted while its host was down) was not removed once the host was back", 30);

            await Client.WaitForActiveAsync(Admin, standalone, seconds: 120);
            Assert.Equal("yes", await store.ReadAsync(standaloneIp, "kept"));

            await DeleteAsync(source);
            await DeleteAsync(replica, standalone);
        }
        finally
        {
            await RemoveAllInstancesAsync();
        }
    }

    /// <summary>
    /// Polls until the instance's operating status is <paramref name="status"/> (a guest's silence shows there, as
    /// SHUTDOWN, while the server's own status stays ACTIVE).
    /// </summary>
    private async Task WaitForOperatingStatusAsync(string id, string status)
    {
        JsonObject? last = null;
        await Poll.UntilAsync(async () =>
        {
            last = TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}"), 200).Object["instance"]!.AsObject();
            return last["operating_status"]?.GetValue<string>() == status;
        }, $"Instance {id} did not show operating status {status}", HoardServerFixture.HeartbeatExpirySeconds + 30, () => last?.ToJsonString() ?? "nothing");
    }

    private async Task<string> CreateRedisAsync(string name, string flavor = "1", string? locality = null)
    {
        var body = RedisBody(name, flavor);
        if (locality is not null)
        {
            WithLocality(body, locality);
        }

        return (await Client.CreateInstanceAsync(Admin, body))["id"]!.GetValue<string>();
    }

    private static JsonObject RedisBody(string name, string flavor = "1")
    {
        var body = Store.For("redis", Password).Body(name);
        body["instance"]!["flavorRef"] = flavor;
        return body;
    }

    private static JsonObject WithLocality(JsonObject body, string locality)
    {
        body["instance"]!["locality"] = locality;
        return body;
    }

    /// <summary>The host the admin view shows once the instance is placed.</summary>
    private async Task<string> HostOfAsync(string id)
    {
        string? host = null;
        await Poll.UntilAsync(async () =>
        {
            var shown = TroveClient.Expect(await Client.GetAsync(Admin, $"mgmt/instances/{id}"), 200).Object["instance"]!;
            host = shown["server"]?["host"]?.GetValue<string>();
            return host is "h1" or "h2" or "h3";
        }, $"Instance {id} was not placed on a host", 60, () => host ?? "nothing");
        return host!;
    }

    private async Task<IReadOnlyList<string>> ReplicasOfAsync(string sourceId, int count)
    {
        IReadOnlyList<string> ids = [];
        await Poll.UntilAsync(async () =>
        {
            ids = [.. (await Client.ListInstancesAsync(Admin)).Where(i => i["replica_of"]?["id"]?.GetValue<string>() == sourceId)
                .Select(i => i["id"]!.GetValue<string>())];
            return ids.Count == count;
        }, $"{count} replicas of {sourceId} were not listed", 30);
        return ids;
    }

    private static int HostNumber(string host) => int.Parse(host[1..], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Polls until the instance is ERROR (a build that cannot succeed).</summary>
    private async Task<JsonObject> WaitForErrorAsync(string id)
    {
        JsonObject? last = null;
        await Poll.UntilAsync(async () =>
        {
            last = TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}"), 200).Object["instance"]!.AsObject();
            Assert.NotEqual("ACTIVE", last["status"]?.GetValue<string>());
            return last["status"]?.GetValue<string>() == "ERROR";
        }, $"Instance {id} did not end in ERROR", 60, () => last?.ToJsonString() ?? "nothing");
        return last!;
    }

    /// <summary>
    /// Every test leaves the hosts empty, passed or failed, so that the next one places on known free capacity: replicas
    /// go first (a source with replicas is refused), an instance still building is reset first.
    /// </summary>
    private async Task RemoveAllInstancesAsync()
    {
        for (var pass = 0; pass < 5; pass++)
        {
            var listed = await Client.ListInstancesAsync(Admin);
            if (listed.Count == 0)
            {
                return;
            }

            foreach (var instance in listed.OrderBy(i => i["replica_of"] is null ? 1 : 0))
            {
                var id = instance["id"]!.GetValue<string>();
                if ((await Client.DeleteAsync(Admin, $"instances/{id}")).Status == 422)
                {
                    await Client.PostAsync(Admin, $"instances/{id}/action", """{"reset_status":{}}""");
                    await Client.DeleteAsync(Admin, $"instances/{id}");
                }
            }

            await Poll.UntilAsync(async () => (await Client.ListInstancesAsync(Admin)).All(i => i["status"]!.GetValue<string>() != "SHUTDOWN"),
                "instances were still being deleted", 60);
        }
    }

    private async Task DeleteAsync(params string[] ids)
    {
        foreach (var id in ids)
        {
            TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        }

        foreach (var id in ids)
        {
            await Client.WaitUntilGoneAsync(Admin, id, seconds: 120);
        }
    }
}
