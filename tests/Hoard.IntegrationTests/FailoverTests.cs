using System.Text.Json.Nodes;
using System.Diagnostics;
using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>A hoard-server with automatic failover on (the main test server has it off, so that its tests choose when a source is replaced).</summary>
public sealed class FailoverServerFixture : IAsyncLifetime
{
    internal HoardServerFixture Server { get; } = new(new Dictionary<string, string> { ["Hoard__AutomaticFailover"] = "true" });

    public Task InitializeAsync() => Server.InitializeAsync();

    public Task DisposeAsync() => Server.DisposeAsync();
}

/// <summary>Its own server, and not in parallel with others: the time to fail over is measured.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FailoverCollection : ICollectionFixture<FailoverServerFixture>
{
    public const string Name = "failover";
}

/// <summary>
/// Automatic failover per datastore: kill -9 of the source's guest and server; the replica is promoted, the write
/// endpoint (HAProxy) leads to it, no acknowledged write is lost, the old source comes back as a replica, and the
/// failover is recorded as an event with its timings.
/// </summary>
[Collection(FailoverCollection.Name)]
[Trait("Category", "Integration")]
public sealed class FailoverTests(FailoverServerFixture fixture)
{
    private const string Password = "Failover-App-4";

    [Theory]
    [InlineData("mariadb")]
    [InlineData("postgresql")]
    [InlineData("redis")]
    public async Task AutomaticFailover_AfterKill9OfTheSource_TheEndpointLeadsToThePromotedReplica(string datastore)
    {
        var client = fixture.Server.Client;
        var admin = fixture.Server.Admin;
        var store = Store.For(datastore, Password);
        var sourceId = (await client.CreateInstanceAsync(admin, store.Body($"{datastore}-fo-src")))["id"]!.GetValue<string>();
        var sourceIp = (await client.WaitForActiveAsync(admin, sourceId, seconds: 300))["ip"]![0]!.GetValue<string>();
        await store.InitialiseAsync(sourceIp);
        var replicaId = (await client.CreateInstanceAsync(admin, ReplicationTests.ReplicaBody($"{datastore}-fo-r", sourceId)))["id"]!.GetValue<string>();
        var replicaIp = (await client.WaitForActiveAsync(admin, replicaId, seconds: 300))["ip"]![0]!.GetValue<string>();
        var shown = TroveClient.Expect(await client.GetAsync(admin, $"instances/{sourceId}"), 200).Object["instance"]!;
        var endpoint = $"{shown["replication"]!["endpoint"]!["address"]}:{shown["replication"]!["endpoint"]!["port"]}";
        Assert.Equal("haproxy", shown["replication"]!["endpoint"]!["enforced_by"]!.GetValue<string>());
        await Poll.UntilAsync(() => store.TryWriteAsync(endpoint, "through-endpoint", "1"), $"No write through the endpoint {endpoint}", 20);
        await ReplicationTests.WaitForValueAsync(store, replicaIp, "through-endpoint", "1");

        var killed = ProcessTable.Mentioning(sourceId);
        Assert.NotEmpty(killed);
        var watch = Stopwatch.StartNew();
        ReplicationTests.Signal(killed, "KILL");
        await Poll.UntilAsync(() => store.TryWriteAsync(endpoint, "after-failover", "2"), $"No write through {endpoint} after the kill", 60, intervalMs: 100);
        var rto = watch.Elapsed.TotalSeconds;
        Assert.Equal("1", await store.ReadAsync(replicaIp, "through-endpoint"));
        Assert.Equal("2", await store.ReadAsync(replicaIp, "after-failover"));

        var rebuilt = await client.WaitForActiveAsync(admin, sourceId, seconds: 300);
        Assert.Equal(replicaId, rebuilt["replica_of"]?["id"]?.GetValue<string>());
        await ReplicationTests.WaitForValueAsync(store, rebuilt["ip"]![0]!.GetValue<string>(), "after-failover", "2");
        var events = TroveClient.Expect(await client.GetAsync(admin, $"instances/{replicaId}/replication_events"), 200).Object["replication_events"]!.AsArray();
        var failover = events.Single(e => e!["kind"]!.GetValue<string>() == "failover")!;
        Assert.Equal("succeeded", failover["outcome"]?.GetValue<string>());
        Assert.Equal(sourceId, failover["old_source"]?.GetValue<string>());
        Console.WriteLine($"{datastore}: kill -9 → first write through the endpoint {rto:0.00} s; event {failover.ToJsonString()}");
        await DeleteSetAsync(sourceId, replicaId);
    }

    /// <summary>
    /// In a synchronous set a commit returns only once the replica has it: every write acknowledged through the endpoint
    /// before the source was killed is on the promoted replica.
    /// </summary>
    [Theory]
    [InlineData("mariadb")]
    [InlineData("postgresql")]
    public async Task SynchronousSet_LosesNoAcknowledgedWrite_WhenItsSourceIsKilled(string datastore)
    {
        var client = fixture.Server.Client;
        var admin = fixture.Server.Admin;
        var store = Store.For(datastore, Password);
        var sourceId = (await client.CreateInstanceAsync(admin, store.Body($"{datastore}-sync-src")))["id"]!.GetValue<string>();
        var sourceIp = (await client.WaitForActiveAsync(admin, sourceId, seconds: 300))["ip"]![0]!.GetValue<string>();
        await store.InitialiseAsync(sourceIp);
        var replicaId = (await client.CreateInstanceAsync(admin, ReplicationTests.ReplicaBody($"{datastore}-sync-r", sourceId)))["id"]!.GetValue<string>();
        var replicaIp = (await client.WaitForActiveAsync(admin, replicaId, seconds: 300))["ip"]![0]!.GetValue<string>();

        TroveClient.Expect(await client.PutAsync(admin, $"instances/{replicaId}/replication", """{"replication":{"synchronous":true}}"""), 202);
        await Poll.UntilAsync(async () =>
        {
            var shown = TroveClient.Expect(await client.GetAsync(admin, $"instances/{sourceId}"), 200).Object["instance"]!;
            return shown["status"]!.GetValue<string>() == "ACTIVE" && shown["replication"]?["synchronous"]?.GetValue<bool>() == true;
        }, "The set did not become synchronous", 60);
        var endpointView = TroveClient.Expect(await client.GetAsync(admin, $"instances/{sourceId}"), 200).Object["instance"]!["replication"]!["endpoint"]!;
        var endpoint = $"{endpointView["address"]}:{endpointView["port"]}";

        var acknowledged = new List<string>();
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                if (await store.TryWriteAsync(endpoint, $"w{n}", "1"))
                    lock (acknowledged)
                        acknowledged.Add($"w{n}");
            }
        });
        await Poll.UntilAsync(() => Task.FromResult(acknowledged.Count >= 20), "The writer got no writes through", 30);
        ReplicationTests.Signal(ProcessTable.Mentioning(sourceId), "KILL");
        await Poll.UntilAsync(async () =>
        {
            var shown = TroveClient.Expect(await client.GetAsync(admin, $"instances/{replicaId}"), 200).Object["instance"]!;
            return shown["replica_of"] is null && shown["status"]!.GetValue<string>() == "ACTIVE";
        }, "The replica was not promoted", 60);
        var before = acknowledged.Count;
        await Poll.UntilAsync(() => Task.FromResult(acknowledged.Count > before), "No write went through after the failover", 30);
        await stop.CancelAsync();
        await writer;

        string[] all;
        lock (acknowledged)
            all = [.. acknowledged];
        var missing = new List<string>();
        foreach (var key in all)
        {
            if (await store.ReadAsync(replicaIp, key) != "1")
                missing.Add(key);
        }

        Assert.True(missing.Count == 0, $"{missing.Count} of {all.Length} acknowledged writes are missing on the promoted replica: {string.Join(", ", missing.Take(10))}");
        Console.WriteLine($"{datastore}: synchronous set, {all.Length} acknowledged writes, none lost");
        await DeleteSetAsync(sourceId, replicaId);
    }

    [Fact]
    public async Task SynchronousMode_IsRefusedForRedis_AndForAnInstanceWithoutReplicas()
    {
        var client = fixture.Server.Client;
        var admin = fixture.Server.Admin;
        var redis = Store.For("redis", Password);
        var sourceId = (await client.CreateInstanceAsync(admin, redis.Body("redis-sync-src")))["id"]!.GetValue<string>();
        await client.WaitForActiveAsync(admin, sourceId, seconds: 300);
        var alone = await client.PutAsync(admin, $"instances/{sourceId}/replication", """{"replication":{"synchronous":true}}""");
        Assert.True(alone.Status == 400, alone.ToString());
        var replicaId = (await client.CreateInstanceAsync(admin, ReplicationTests.ReplicaBody("redis-sync-r", sourceId)))["id"]!.GetValue<string>();
        await client.WaitForActiveAsync(admin, replicaId, seconds: 300);
        var refused = await client.PutAsync(admin, $"instances/{sourceId}/replication", """{"replication":{"synchronous":true}}""");
        Assert.True(refused.Status == 400, refused.ToString());
        Assert.Contains("Redis", refused.Text, StringComparison.Ordinal);
        var badBody = await client.PutAsync(admin, $"instances/{sourceId}/replication", """{"replication":{"synchronous":"yes"}}""");
        Assert.True(badBody.Status == 400, badBody.ToString());
        await DeleteSetAsync(sourceId, replicaId);
    }

    /// <summary>
    /// kill -9 of the source's database server alone (its guest lives): the guest restarts it, or, when that takes longer
    /// than the failover window, the set fails over. Either way writes through the endpoint resume within seconds, and
    /// the set ends with exactly one source.
    /// </summary>
    [Theory]
    [InlineData("mariadb")]
    [InlineData("postgresql")]
    [InlineData("redis")]
    public async Task Kill9OfTheSourceServerAlone_WritesThroughTheEndpointResume(string datastore)
    {
        var client = fixture.Server.Client;
        var admin = fixture.Server.Admin;
        var store = Store.For(datastore, Password);
        var sourceId = (await client.CreateInstanceAsync(admin, store.Body($"{datastore}-srvkill-src")))["id"]!.GetValue<string>();
        var sourceIp = (await client.WaitForActiveAsync(admin, sourceId, seconds: 300))["ip"]![0]!.GetValue<string>();
        await store.InitialiseAsync(sourceIp);
        var replicaId = (await client.CreateInstanceAsync(admin, ReplicationTests.ReplicaBody($"{datastore}-srvkill-r", sourceId)))["id"]!.GetValue<string>();
        await client.WaitForActiveAsync(admin, replicaId, seconds: 300);
        var endpointView = TroveClient.Expect(await client.GetAsync(admin, $"instances/{sourceId}"), 200).Object["instance"]!["replication"]!["endpoint"]!;
        var endpoint = $"{endpointView["address"]}:{endpointView["port"]}";
        await Poll.UntilAsync(() => store.TryWriteAsync(endpoint, "before", "1"), $"No write through {endpoint}", 20);

        var server = ProcessTable.Mentioning(sourceId).Where(p => !p.CommandLine.Contains("hoard-guest", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(server);
        var watch = Stopwatch.StartNew();
        ReplicationTests.Signal(server, "KILL");
        await Poll.UntilAsync(() => store.TryWriteAsync(endpoint, "after", "2"), $"No write through {endpoint} after the server was killed", 60, intervalMs: 100);
        var resumed = watch.Elapsed.TotalSeconds;

        // Settled: one source, and it has both writes.
        JsonNode[] views = [];
        await Poll.UntilAsync(async () =>
        {
            views = await Task.WhenAll(new[] { sourceId, replicaId }.Select(async id =>
                TroveClient.Expect(await client.GetAsync(admin, $"instances/{id}"), 200).Object["instance"]!));
            return views.All(v => v["status"]!.GetValue<string>() == "ACTIVE");
        }, "The set did not settle", 120);
        var sources = views.Where(v => v["replica_of"] is null).ToList();
        var current = Assert.Single(sources);
        var ip = current["ip"]![0]!.GetValue<string>();
        Assert.Equal("1", await store.ReadAsync(ip, "before"));
        Assert.Equal("2", await store.ReadAsync(ip, "after"));
        Console.WriteLine($"{datastore}: server kill -9 → writes resumed in {resumed:0.00} s; source now {(current["id"]!.GetValue<string>() == sourceId ? "the same (restarted)" : "the replica (failed over)")}");
        await DeleteSetAsync(sourceId, replicaId);
    }

    /// <summary>Deletes a set's members, replicas before their source (a source with replicas is refused), and waits until they are gone.</summary>
    private async Task DeleteSetAsync(params string[] ids)
    {
        var client = fixture.Server.Client;
        var admin = fixture.Server.Admin;
        // A replaced source is being rebuilt (BUILD cannot be deleted, as in Trove): let it finish first.
        foreach (var id in ids)
            await client.WaitForActiveAsync(admin, id, seconds: 300);
        var left = ids.ToList();
        for (var pass = 0; pass < 3 && left.Count > 0; pass++)
        {
            var refused = new List<string>();
            foreach (var id in left)
            {
                var deleted = await client.DeleteAsync(admin, $"instances/{id}");
                if (deleted.Status == 403)
                    refused.Add(id);
                else
                    Assert.True(deleted.Status is 202 or 404, deleted.ToString());
            }

            foreach (var id in left.Except(refused))
                await client.WaitUntilGoneAsync(admin, id, seconds: 120);
            left = refused;
        }

        Assert.Empty(left);
    }
}
