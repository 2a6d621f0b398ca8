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
    }
}
