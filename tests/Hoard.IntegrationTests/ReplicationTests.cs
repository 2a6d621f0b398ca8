using System.Diagnostics;
using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>
/// Replication end to end, per datastore, through Trove's API against real servers: a replica follows its source and
/// refuses writes; a switchover (promote_to_replica_source) loses no write and turns the old source into a replica; a
/// detached replica is a writable standalone instance; an eject promotes the most advanced replica of a silent source
/// and re-points the others. Trove's refusals too: deleting a source (403), a replica of a replica (401), changing users
/// on a replica (400).
/// </summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ReplicationTests(HoardServerFixture server)
{
    private const string Password = "Repl-App-3";

    private TroveClient Client => server.Client;

    private TroveSession Admin => server.Admin;

    [Theory]
    [InlineData("mariadb")]
    [InlineData("postgresql")]
    [InlineData("redis")]
    public async Task Replica_Follows_SwitchesOverWithoutLoss_AndDetaches(string datastore)
    {
        var store = Store.For(datastore, Password);
        var source = await CreateAsync(store.Body($"{datastore}-repl-src"));
        await store.InitialiseAsync(source.Ip);
        await store.WriteAsync(source.Ip, "before", "1");

        var watch = Stopwatch.StartNew();
        var replica = await CreateReplicaAsync($"{datastore}-repl-r", source.Id);
        var createSeconds = watch.Elapsed.TotalSeconds;
        Assert.Equal("1", await store.ReadAsync(replica.Ip, "before"));
        await store.WriteAsync(source.Ip, "after", "2");
        await WaitForValueAsync(store, replica.Ip, "after", "2");
        Assert.False(await store.TryWriteAsync(replica.Ip, "on-replica", "x"), "a replica took a write");

        var shownReplica = await ShowAsync(replica.Id);
        Assert.Equal(source.Id, shownReplica["replica_of"]?["id"]?.GetValue<string>());
        Assert.Equal("replica", shownReplica["replication"]?["role"]?.GetValue<string>());
        var shownSource = await ShowAsync(source.Id);
        Assert.Equal(replica.Id, shownSource["replicas"]?[0]?["id"]?.GetValue<string>());
        Assert.Null(shownSource["replica_of"]);
        await Poll.UntilAsync(async () => (await ShowAsync(replica.Id))["replication"]?["streaming"]?.GetValue<bool>() == true,
            $"Replica {replica.Id} never showed streaming", 30);

        // Trove's refusals, each changing nothing.
        var deleteSource = await Client.DeleteAsync(Admin, $"instances/{source.Id}");
        Assert.True(deleteSource.Status == 403, deleteSource.ToString());
        Assert.Contains("replica", deleteSource.Text, StringComparison.Ordinal);
        var ofReplica = await Client.PostAsync(Admin, "instances", ReplicaBody("repl-of-repl", replica.Id).ToJsonString());
        Assert.True(ofReplica.Status == 401, ofReplica.ToString());
        var userOnReplica = await Client.PostAsync(Admin, $"instances/{replica.Id}/users",
            """{"users":[{"name":"other","password":"Other-Pass-1"}]}""");
        Assert.True(userOnReplica.Status == 400, userOnReplica.ToString());
        var promoteSource = await Client.PostAsync(Admin, $"instances/{source.Id}/action", """{"promote_to_replica_source":{}}""");
        Assert.True(promoteSource.Status == 400, promoteSource.ToString());
        var ejectLive = await Client.PostAsync(Admin, $"instances/{source.Id}/action", """{"eject_replica_source":{}}""");
        Assert.True(ejectLive.Status == 400, ejectLive.ToString());

        // Switchover: every write the source acknowledged is on the new source.
        await store.WriteAsync(source.Ip, "last-before-switch", "3");
        watch.Restart();
        TroveClient.Expect(await Client.PostAsync(Admin, $"instances/{replica.Id}/action", """{"promote_to_replica_source":{}}"""), 202);
        await Client.WaitForActiveAsync(Admin, replica.Id);
        await Client.WaitForActiveAsync(Admin, source.Id);
        var switchSeconds = watch.Elapsed.TotalSeconds;
        var newSource = await ShowAsync(replica.Id);
        Assert.Null(newSource["replica_of"]);
        Assert.Equal(source.Id, newSource["replicas"]?[0]?["id"]?.GetValue<string>());
        Assert.Equal(replica.Id, (await ShowAsync(source.Id))["replica_of"]?["id"]?.GetValue<string>());
        Assert.Equal("3", await store.ReadAsync(replica.Ip, "last-before-switch"));
        await store.WriteAsync(replica.Ip, "on-new-source", "4");
        await WaitForValueAsync(store, source.Ip, "on-new-source", "4");
        Assert.False(await store.TryWriteAsync(source.Ip, "on-old-source", "x"), "the old source took a write after the switchover");

        // Detach the old source: a standalone, writable instance that no longer follows.
        TroveClient.Expect(await Client.PutAsync(Admin, $"instances/{source.Id}", """{"instance":{"replica_of":null}}"""), 202);
        await Client.WaitForActiveAsync(Admin, source.Id);
        Assert.Null((await ShowAsync(source.Id))["replica_of"]);
        Assert.Null((await ShowAsync(replica.Id))["replicas"]);
        Assert.True(await store.TryWriteAsync(source.Ip, "detached", "5"), "the detached instance refused a write");
        await store.WriteAsync(replica.Ip, "not-followed", "6");
        await Task.Delay(1000);
        Assert.Equal("", await store.ReadAsync(source.Ip, "not-followed"));
        Assert.Equal("4", await store.ReadAsync(source.Ip, "on-new-source"));

        Console.WriteLine($"{datastore}: replica create→ACTIVE {createSeconds:0.00} s, switchover→ACTIVE {switchSeconds:0.00} s");
        await DeleteAsync(source.Id, replica.Id);
    }

    [Theory]
    [InlineData("mariadb")]
    [InlineData("postgresql")]
    [InlineData("redis")]
    public async Task Eject_PromotesAReplicaOfASilentSource_RepointsTheOther_AndRebuildsTheOldSourceAsAReplica(string datastore)
    {
        var store = Store.For(datastore, Password);
        var source = await CreateAsync(store.Body($"{datastore}-eject-src"));
        await store.InitialiseAsync(source.Ip);
        await store.WriteAsync(source.Ip, "before", "1");
        var replicaIds = await CreateReplicasAsync($"{datastore}-eject-r", source.Id, count: 2);
        var replicas = new List<(string Id, string Ip)>();
        foreach (var id in replicaIds)
            replicas.Add((id, (await Client.WaitForActiveAsync(Admin, id, seconds: 300))["ip"]![0]!.GetValue<string>()));
        Assert.Equal([$"{datastore}-eject-r-1", $"{datastore}-eject-r-2"],
            (await Task.WhenAll(replicaIds.Select(ShowAsync))).Select(v => v["name"]!.GetValue<string>()).Order().ToArray());
        await store.WriteAsync(source.Ip, "acknowledged", "2");
        foreach (var (_, ip) in replicas)
            await WaitForValueAsync(store, ip, "acknowledged", "2");

        // The source's guest and server freeze: no heartbeat, no answers, no exit. Automatic failover is off on this
        // server (a frozen source is exactly what it would act on): the eject is the user's.
        var frozen = ProcessTable.Mentioning(source.Id);
        Assert.NotEmpty(frozen);
        Signal(frozen, "STOP");
        try
        {
            await Poll.UntilAsync(async () =>
            {
                var eject = await Client.PostAsync(Admin, $"instances/{source.Id}/action", """{"eject_replica_source":{}}""");
                Assert.True(eject.Status is 202 or 400, eject.ToString());
                return eject.Status == 202;
            }, "The silent source could not be ejected", HoardServerFixture.HeartbeatExpirySeconds * 4);
            foreach (var (id, _) in replicas)
                await Client.WaitForActiveAsync(Admin, id);
        }
        finally
        {
            Signal(ProcessTable.Mentioning(source.Id), "CONT");
        }

        var views = await Task.WhenAll(replicas.Select(r => ShowAsync(r.Id)));
        var elected = replicas[Array.FindIndex(views, v => v["replica_of"] is null)];
        var other = replicas.Single(r => r.Id != elected.Id);
        Assert.Equal(elected.Id, (await ShowAsync(other.Id))["replica_of"]?["id"]?.GetValue<string>());
        Assert.Equal("2", await store.ReadAsync(elected.Ip, "acknowledged"));
        await store.WriteAsync(elected.Ip, "after-eject", "3");
        await WaitForValueAsync(store, other.Ip, "after-eject", "3");
        Assert.False(await store.TryWriteAsync(other.Ip, "on-replica", "x"), "a replica took a write after the eject");

        // The old source comes back as a replica of the new one, with its data and none of its own writes.
        var rebuilt = await Client.WaitForActiveAsync(Admin, source.Id, seconds: 300);
        Assert.Equal(elected.Id, rebuilt["replica_of"]?["id"]?.GetValue<string>());
        var rebuiltIp = rebuilt["ip"]![0]!.GetValue<string>();
        await WaitForValueAsync(store, rebuiltIp, "after-eject", "3");
        Assert.False(await store.TryWriteAsync(rebuiltIp, "on-old-source", "x"), "the old source took a write after the eject");
        var events = TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{elected.Id}/replication_events"), 200).Object["replication_events"]!.AsArray();
        Assert.Contains(events, e => e!["kind"]!.GetValue<string>() == "eject" && e["outcome"]?.GetValue<string>() == "succeeded" &&
                                     e["new_source"]?.GetValue<string>() == elected.Id && e["fenced"] is not null);

        await DeleteAsync(source.Id, other.Id);
        await DeleteAsync(elected.Id);
    }

    /// <summary>Redis does not replicate its ACL users: Hoard applies a user change on the source to its replicas too.</summary>
    [Fact]
    public async Task RedisUserChangesOnTheSource_ReachItsReplicas()
    {
        var store = Store.For("redis", Password);
        var source = await CreateAsync(store.Body("redis-users-src"));
        var replica = await CreateReplicaAsync("redis-users-r", source.Id);
        TroveClient.Expect(await Client.PostAsync(Admin, $"instances/{source.Id}/users", """{"users":[{"name":"later","password":"Later-Pass-1"}]}"""), 202);
        Assert.Equal("OK", (await RedisCli.RunAsync(source.Ip, "later", "Later-Pass-1", "SET", "k", "v")).Trim());
        await Poll.UntilAsync(async () => (await RedisCli.RunAsync(replica.Ip, "later", "Later-Pass-1", "GET", "k")).Trim() == "v",
            "The user made on the source could not read on the replica", 10);

        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{source.Id}/users/later"), 202);
        Assert.Contains("WRONGPASS", await RedisCli.RunAsync(replica.Ip, "later", "Later-Pass-1", "GET", "k"), StringComparison.Ordinal);
        await DeleteAsync(replica.Id);
        await DeleteAsync(source.Id);
    }

    [Fact]
    public async Task ReplicaRequests_ThatCannotBeMet_AreRefused_AndCreateNothing()
    {
        var before = (await Client.ListInstancesAsync(Admin)).Count;
        var unknown = await Client.PostAsync(Admin, "instances", ReplicaBody("r", Guid.NewGuid().ToString()).ToJsonString());
        Assert.True(unknown.Status == 404, unknown.ToString());
        var countWithoutSource = await Client.PostAsync(Admin, "instances",
            """{"instance":{"name":"r","flavorRef":"1","volume":{"size":1},"replica_count":2}}""");
        Assert.True(countWithoutSource.Status == 400, countWithoutSource.ToString());
        var tooMany = ReplicaBody("r", Guid.NewGuid().ToString());
        tooMany["instance"]!["replica_count"] = 4;
        var tooManyResponse = await Client.PostAsync(Admin, "instances", tooMany.ToJsonString());
        Assert.True(tooManyResponse.Status == 400, tooManyResponse.ToString());
        var withFlavor = ReplicaBody("r", Guid.NewGuid().ToString());
        withFlavor["instance"]!["flavorRef"] = "1";
        var withFlavorResponse = await Client.PostAsync(Admin, "instances", withFlavor.ToJsonString());
        Assert.True(withFlavorResponse.Status == 400, withFlavorResponse.ToString());
        Assert.Equal(before, (await Client.ListInstancesAsync(Admin)).Count);
    }

    private async Task<(string Id, string Ip)> CreateAsync(JsonObject body)
    {
        var id = (await Client.CreateInstanceAsync(Admin, body))["id"]!.GetValue<string>();
        var active = await Client.WaitForActiveAsync(Admin, id, seconds: 300);
        return (id, active["ip"]![0]!.GetValue<string>());
    }

    private async Task<(string Id, string Ip)> CreateReplicaAsync(string name, string sourceId) =>
        await CreateAsync(ReplicaBody(name, sourceId));

    /// <summary>One create of <paramref name="count"/> replicas; their ids, found by name.</summary>
    private async Task<IReadOnlyList<string>> CreateReplicasAsync(string name, string sourceId, int count)
    {
        var body = ReplicaBody(name, sourceId);
        body["instance"]!["replica_count"] = count;
        await Client.CreateInstanceAsync(Admin, body);
        var all = await Client.ListInstancesAsync(Admin);
        var ids = all.Where(i => i["name"]!.GetValue<string>().StartsWith(name + "-", StringComparison.Ordinal))
            .Select(i => i["id"]!.GetValue<string>()).ToList();
        Assert.Equal(count, ids.Count);
        return ids;
    }

    internal static JsonObject ReplicaBody(string name, string sourceId) =>
        new() { ["instance"] = new JsonObject { ["name"] = name, ["replica_of"] = sourceId } };

    private async Task<JsonObject> ShowAsync(string id) =>
        TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}"), 200).Object["instance"]!.AsObject();

    private async Task DeleteAsync(params string[] ids)
    {
        foreach (var id in ids)
            TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        foreach (var id in ids)
            await Client.WaitUntilGoneAsync(Admin, id);
    }

    internal static async Task WaitForValueAsync(Store store, string ip, string key, string value)
    {
        var last = "";
        await Poll.UntilAsync(async () => (last = await store.ReadAsync(ip, key)) == value,
            $"'{key}' did not reach {ip} as '{value}'", 30, () => $"last read: '{last}'");
    }

    internal static void Signal(IEnumerable<(int Pid, string CommandLine)> processes, string signal)
    {
        foreach (var (pid, _) in processes)
            Process.Start("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
    }
}
