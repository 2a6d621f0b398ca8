using Hoard.Contracts.Guest;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;
using Hoard.Tests.Shared;

namespace Hoard.Core.Tests.Persistence;

/// <summary>Replication sets, their endpoints and events, and the set-wide task changes, in a real state database (SQLite and PostgreSQL).</summary>
public abstract class ReplicationSetStoreTests(Func<Task<TestStateDb>> create) : StateDbTests(create)
{
    private StateDb _db = null!;
    private InstanceStore _instances = null!;
    private ReplicationSetStore _sets = null!;

    protected override Task InitializeStoresAsync()
    {
        _db = Db;
        _instances = new InstanceStore(_db, TimeProvider.System);
        _sets = new ReplicationSetStore(_db, TimeProvider.System);
        return Task.CompletedTask;
    }

    [StateDbFact]
    public async Task Join_MakesOneSetPerSource_WithItsOwnPort_AndTheEndpointFollowsTheSource()
    {
        var source = await InsertAsync("127.100.0.2");
        var replica = await InsertAsync("127.100.0.3", replicaOf: source.Id);
        var second = await InsertAsync("127.100.0.4", replicaOf: source.Id);
        var otherSource = await InsertAsync("127.100.0.5");
        var otherReplica = await InsertAsync("127.100.0.6", replicaOf: otherSource.Id);

        var set = await _sets.JoinAsync(source.Id, replica.Id, 40001, CancellationToken.None);
        Assert.Equal(set, await _sets.JoinAsync(source.Id, second.Id, 40001, CancellationToken.None));
        var otherSet = await _sets.JoinAsync(otherSource.Id, otherReplica.Id, 40001, CancellationToken.None);
        Assert.NotEqual(set, otherSet);

        var endpoints = await _sets.ListEndpointsAsync(CancellationToken.None);
        Assert.Equal([(set, 40001L, source.Id, "127.100.0.2"), (otherSet, 40002L, otherSource.Id, "127.100.0.5")],
            endpoints.Select(e => (e.SetId, e.Port, e.SourceId, e.SourceAddress)).ToArray());
        Assert.Equal((otherSet, otherSource.Id), (await _sets.GetEndpointAsync(otherSet, CancellationToken.None)) is { } one ? (one.SetId, one.SourceId) : default);
        Assert.Null(await _sets.GetEndpointAsync(Guid.NewGuid().ToString(), CancellationToken.None));
        Assert.All([source.Id, replica.Id, second.Id], id => Assert.Equal(set, _instances.GetAsync(id, CancellationToken.None).Result!.ReplicationSet));

        // A switchover or failover: the endpoint leads to the new source, never to both.
        await _instances.SwapSourceAsync(replica.Id, source.Id, CancellationToken.None);
        var after = Assert.Single(await _sets.ListEndpointsAsync(CancellationToken.None), e => e.SetId == set);
        Assert.Equal((replica.Id, "127.100.0.3"), (after.SourceId, after.SourceAddress));
        Assert.Equal(replica.Id, (await _instances.GetAsync(source.Id, CancellationToken.None))!.ReplicaOf);

        // The set goes with its last member.
        foreach (var id in new[] { source.Id, replica.Id })
            await _instances.MarkDeletedAsync(id, CancellationToken.None);
        Assert.Contains(await _sets.ListEndpointsAsync(CancellationToken.None), e => e.SetId == set && e.SourceId is null);
        await _sets.LeaveAsync(second.Id, CancellationToken.None);
        Assert.DoesNotContain(await _sets.ListEndpointsAsync(CancellationToken.None), e => e.SetId == set);
    }

    [StateDbFact]
    public async Task Join_Concurrently_GivesEachSourceOneSet_AndEachSetItsOwnPort()
    {
        var pairs = new List<(string Source, string Replica)>();
        for (var i = 0; i < 4; i++)
        {
            var source = await InsertAsync($"127.100.1.{i}");
            pairs.Add((source.Id, (await InsertAsync($"127.100.2.{i}", replicaOf: source.Id)).Id));
            pairs.Add((source.Id, (await InsertAsync($"127.100.3.{i}", replicaOf: source.Id)).Id));
        }

        var sets = await Task.WhenAll(pairs.Select(p => Task.Run(() => _sets.JoinAsync(p.Source, p.Replica, 40001, CancellationToken.None))));

        Assert.Equal(4, sets.Distinct().Count());
        Assert.All(pairs.Zip(sets).GroupBy(x => x.First.Source), g => Assert.Single(g.Select(x => x.Second).Distinct()));
        Assert.Equal([40001L, 40002L, 40003L, 40004L], (await _sets.ListEndpointsAsync(CancellationToken.None)).Select(e => e.Port));
    }

    [StateDbFact]
    public async Task Events_RecordTheirMoments_NewestFirst()
    {
        var source = await InsertAsync("127.100.0.2");
        var replica = await InsertAsync("127.100.0.3", replicaOf: source.Id);
        var set = await _sets.JoinAsync(source.Id, replica.Id, 40001, CancellationToken.None);
        var detected = DateTimeOffset.UtcNow.AddSeconds(-3);

        var first = await _sets.StartEventAsync(set, ReplicationSetStore.Kinds.Failover, source.Id, "silent", detected, CancellationToken.None);
        await _sets.MarkEventAsync(first, "fenced", null, CancellationToken.None);
        await _sets.MarkEventAsync(first, "promoted", replica.Id, CancellationToken.None);
        await _sets.FinishEventAsync(first, "succeeded", null, CancellationToken.None);
        var second = await _sets.StartEventAsync(set, ReplicationSetStore.Kinds.Switchover, replica.Id, "asked", null, CancellationToken.None);

        var events = await _sets.ListEventsAsync(set, 10, CancellationToken.None);
        Assert.Equal([second, first], events.Select(e => e.Id).ToArray());
        var failover = events[1];
        Assert.Equal(("failover", source.Id, replica.Id, "succeeded"), (failover.Kind, failover.OldSource, failover.NewSource, failover.Outcome));
        Assert.Equal(detected.ToUnixTimeMilliseconds(), failover.Detected!.Value.ToUnixTimeMilliseconds(), 1.0);
        Assert.True(failover.Fenced <= failover.Promoted && failover.Promoted <= failover.Finished, "moments out of order");
        Assert.Null(events[0].Finished);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _sets.MarkEventAsync(first, "finished; DROP TABLE x", null, CancellationToken.None));
    }

    [StateDbFact]
    public async Task TryBeginSet_ChangesEveryMemberOrNone()
    {
        var source = await InsertAsync("127.100.0.2", task: InstanceTask.None);
        var replica = await InsertAsync("127.100.0.3", replicaOf: source.Id, task: InstanceTask.Resizing);

        Assert.False(await _instances.TryBeginSetAsync([source.Id, replica.Id], InstanceTask.Promoting, Workflow(replica.Id),
            [InstanceTask.None], CancellationToken.None));
        Assert.Equal(InstanceTask.None, (await _instances.GetAsync(source.Id, CancellationToken.None))!.Task);

        await _instances.SetTaskAsync(replica.Id, InstanceTask.None, CancellationToken.None);
        Assert.True(await _instances.TryBeginSetAsync([source.Id, replica.Id], InstanceTask.Promoting, Workflow(replica.Id),
            [InstanceTask.None], CancellationToken.None));
        await _instances.FinishSetAsync([source.Id, replica.Id], InstanceTask.Promoting, InstanceTask.None,
            new Dictionary<string, string?> { [replica.Id] = null, [source.Id] = replica.Id }, CancellationToken.None);
        var (s, r) = ((await _instances.GetAsync(source.Id, CancellationToken.None))!, (await _instances.GetAsync(replica.Id, CancellationToken.None))!);
        Assert.Equal((InstanceTask.None, replica.Id, InstanceTask.None, (string?)null), (s.Task, s.ReplicaOf, r.Task, r.ReplicaOf));
    }

    [StateDbFact]
    public async Task RecordHeartbeat_KeepsTheLastServingReport_AndTheReplicationState()
    {
        var instance = await InsertAsync("127.100.0.2");
        var healthyAt = DateTimeOffset.UtcNow.AddSeconds(-5);
        await _instances.RecordHeartbeatAsync(instance.Id, ServiceStatus.Healthy, """{"role":"source"}""", healthyAt, CancellationToken.None);
        await _instances.RecordHeartbeatAsync(instance.Id, ServiceStatus.Crashed, null, healthyAt.AddSeconds(2), CancellationToken.None);

        var stored = (await _instances.GetAsync(instance.Id, CancellationToken.None))!;
        Assert.Equal(healthyAt.ToUnixTimeMilliseconds(), stored.LastHealthy!.Value.ToUnixTimeMilliseconds(), 1.0);
        Assert.Equal(ServiceStatus.Crashed, stored.ServiceStatus);
        Assert.Null(stored.Replication);
        Assert.Null(stored.ReplicationUpdated);
    }

    private async Task<InstanceRecord> InsertAsync(string address, string? replicaOf = null, InstanceTask task = InstanceTask.None)
    {
        var instance = new InstanceRecord
        {
            Id = Guid.NewGuid().ToString(), ProjectId = "p", Name = "i", FlavorId = "1", DatastoreVersionId = "v1", VolumeSize = 1,
            Task = task, ServerStatus = ServerStatus.Active, ServiceStatus = ServiceStatus.Healthy, Port = 3306,
            Created = DateTimeOffset.UtcNow, Updated = DateTimeOffset.UtcNow, Address = address, ReplicaOf = replicaOf,
        };
        await _instances.InsertAsync(instance, Workflow(instance.Id), CancellationToken.None);
        return instance;
    }

    private static WorkflowRecord Workflow(string instanceId) => new()
    {
        Id = Guid.NewGuid().ToString(), Type = "test", InstanceId = instanceId, Created = DateTimeOffset.UtcNow, Updated = DateTimeOffset.UtcNow,
    };
}

public sealed class SqliteReplicationSetStoreTests() : ReplicationSetStoreTests(TestStateDb.SqliteAsync);

[Collection(PostgreSqlStateCollection.Name)]
public sealed class PostgreSqlReplicationSetStoreTests(PostgreSqlStateServer server) : ReplicationSetStoreTests(() => TestStateDb.PostgreSqlAsync(server))
{
    public static string? SkipReason => PostgreSqlStateServer.SkipReason;
}
