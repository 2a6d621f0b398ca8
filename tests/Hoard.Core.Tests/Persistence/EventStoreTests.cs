using Hoard.Contracts.Guest;
using Hoard.Core.Instances;
using Hoard.Core.Tests.Backups;
using Hoard.Core.Workflows;
using Hoard.Persistence;
using Hoard.Tests.Shared;

namespace Hoard.Core.Tests.Persistence;

/// <summary>Events read across events, workflows, faults and replication events; the audit log; retention. Real SQLite and PostgreSQL.</summary>
public abstract class EventStoreTests(Func<Task<TestStateDb>> create) : StateDbTests(create)
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 4, 0, 0, TimeSpan.Zero);
    private readonly ManualTime _time = new(Start);
    private StateDb _db = null!;
    private InstanceStore _instances = null!;
    private WorkflowStore _workflows = null!;
    private EventStore _events = null!;
    private AuditStore _audit = null!;

    protected override Task InitializeStoresAsync()
    {
        _db = Db;
        _instances = new InstanceStore(_db, _time);
        _workflows = new WorkflowStore(_db);
        _events = new EventStore(_db, _time);
        _audit = new AuditStore(_db, _time);
        return Task.CompletedTask;
    }

    [StateDbFact]
    public async Task List_MergesEverySource_NewestFirst_PerInstanceAndPerProject()
    {
        var (instance, workflow) = await InsertAsync("p");
        var (other, _) = await InsertAsync("p");
        var (foreign, _) = await InsertAsync("q");
        Tick();
        await _events.AddAsync("p", instance, EventStore.StatusChanged, "Service status Healthy (was Building)", null, CancellationToken.None);
        Tick();
        workflow.Status = WorkflowStatus.Failed;
        workflow.Error = "Step 'prepare' did not complete within 60 s.";
        workflow.Updated = _time.GetUtcNow();
        // Saves are fenced on the owner: the test plays the task manager that claimed it.
        await _workflows.TryClaimAsync(workflow.Id, "tm-test", _time.GetUtcNow(), _time.GetUtcNow().AddMinutes(1), CancellationToken.None);
        workflow.Owner = "tm-test";
        await _workflows.SaveAsync(workflow, CancellationToken.None);
        Tick();
        await _instances.AddFaultAsync(instance, "The volume is full.", null, CancellationToken.None);
        Tick();
        await _events.AddAsync("p", other, EventStore.StatusChanged, "Service status Shutdown (was Healthy)", "u1", CancellationToken.None);

        var mine = await _events.ListAsync("p", instance, Start, 100, null, CancellationToken.None);
        Assert.Equal(["fault", "task_failed", "status", "task_started"], mine.Select(e => e.Type));
        Assert.Equal("test failed: Step 'prepare' did not complete within 60 s.", mine[1].Message);
        Assert.All(mine, e => Assert.Equal(instance, e.InstanceId));

        var project = await _events.ListAsync("p", null, Start, 100, null, CancellationToken.None);
        Assert.Equal(6, project.Count);
        Assert.Equal("u1", project[0].UserId);
        Assert.DoesNotContain(project, e => e.InstanceId == foreign);
        Assert.Equal(project.Select(e => e.Time).OrderDescending(), project.Select(e => e.Time));
    }

    [StateDbFact]
    public async Task List_ShowsAFailoverOnceInTheProject_UnderThePromotedReplica()
    {
        var (source, _) = await InsertAsync("p");
        var (replica, _) = await InsertAsync("p");
        var sets = new ReplicationSetStore(_db, _time);
        var set = await sets.JoinAsync(source, replica, 40001, CancellationToken.None);
        Tick();
        var failover = await sets.StartEventAsync(set, "failover", source, "source silent", _time.GetUtcNow(), CancellationToken.None);
        await sets.MarkEventAsync(failover, "promoted", replica, CancellationToken.None);
        await sets.FinishEventAsync(failover, "succeeded", null, CancellationToken.None);

        var project = await _events.ListAsync("p", null, Start, 100, null, CancellationToken.None);
        var listed = Assert.Single(project, e => e.Type == "failover");
        Assert.Equal(replica, listed.InstanceId);
        Assert.Equal($"failover from {source} to {replica}: succeeded", listed.Message);
        Assert.Contains(await _events.ListAsync("p", replica, Start, 100, null, CancellationToken.None), e => e.Id == listed.Id);
    }

    [StateDbFact]
    public async Task List_PagesWithTheLastIdAsMarker_WithoutGapsOrRepeats()
    {
        var (instance, _) = await InsertAsync("p");
        for (var i = 0; i < 5; i++)
        {
            Tick();
            await _events.AddAsync("p", instance, EventStore.StatusChanged, $"change {i}", null, CancellationToken.None);
        }

        var all = await _events.ListAsync("p", instance, Start, 100, null, CancellationToken.None);
        var first = await _events.ListAsync("p", instance, Start, 4, null, CancellationToken.None);
        var rest = await _events.ListAsync("p", instance, Start, 4, first[^1].Id, CancellationToken.None);

        Assert.Equal(6, all.Count);
        Assert.Equal(all.Select(e => e.Id), first.Concat(rest).Select(e => e.Id));
    }

    [StateDbFact]
    public async Task Prune_DeletesOnlyWhatIsOlderThanTheRetention_AndListHidesOlderSources()
    {
        var (instance, _) = await InsertAsync("p");
        await _events.AddAsync("p", instance, EventStore.StatusChanged, "old", null, CancellationToken.None);
        await _audit.AddAsync("u", "p", "POST", "/v1.0/p/instances", 200, "req-old", CancellationToken.None);
        _time.Now = Start.AddDays(31);
        await _events.AddAsync("p", instance, EventStore.StatusChanged, "new", null, CancellationToken.None);
        await _audit.AddAsync("u", "p", "DELETE", "/v1.0/p/instances/x", 202, "req-new", CancellationToken.None);

        var cutoff = _time.GetUtcNow().AddDays(-30);
        Assert.Equal(1, await _events.PruneAsync(cutoff, CancellationToken.None));
        Assert.Equal(1, await _audit.PruneAsync(cutoff, CancellationToken.None));

        Assert.Equal(["new"], (await _events.ListAsync("p", instance, cutoff, 100, null, CancellationToken.None)).Select(e => e.Message));
        Assert.Equal(["req-new"], (await _audit.ListAsync(null, 100, null, CancellationToken.None)).Select(a => a.RequestId));
    }

    [StateDbFact]
    public async Task Audit_ListsNewestFirst_FiltersByProject_AndPages()
    {
        await _audit.AddAsync("u1", "p", "POST", "/v1.0/p/instances", 200, "req-1", CancellationToken.None);
        await _audit.AddAsync(null, "q", "DELETE", "/v1.0/q/instances/x", 401, "req-2", CancellationToken.None);
        await _audit.AddAsync("u1", "p", "PUT", "/v1.0/p/instances/y", 202, "req-3", CancellationToken.None);

        Assert.Equal(["req-3", "req-2", "req-1"], (await _audit.ListAsync(null, 10, null, CancellationToken.None)).Select(a => a.RequestId));
        var mine = await _audit.ListAsync("p", 1, null, CancellationToken.None);
        Assert.Equal(["req-3"], mine.Select(a => a.RequestId));
        Assert.Equal(["req-1"], (await _audit.ListAsync("p", 1, mine[0].Id, CancellationToken.None)).Select(a => a.RequestId));
        var refused = (await _audit.ListAsync("q", 10, null, CancellationToken.None)).Single();
        Assert.Null(refused.UserId);
        Assert.Equal(401, refused.Status);
    }

    private void Tick() => _time.Now = _time.Now.AddSeconds(1);

    private async Task<(string Id, WorkflowRecord Workflow)> InsertAsync(string projectId)
    {
        var now = _time.GetUtcNow();
        var instance = new InstanceRecord
        {
            Id = Guid.NewGuid().ToString(), ProjectId = projectId, Name = "i", FlavorId = "1", DatastoreVersionId = "v1", VolumeSize = 1,
            Task = InstanceTask.Building, ServerStatus = ServerStatus.Build, ServiceStatus = ServiceStatus.New, Port = 3306,
            Created = now, Updated = now,
        };
        var workflow = new WorkflowRecord { Id = Guid.NewGuid().ToString(), Type = "test", InstanceId = instance.Id, Created = now, Updated = now };
        await _instances.InsertAsync(instance, workflow, CancellationToken.None);
        return (instance.Id, workflow);
    }
}

public sealed class SqliteEventStoreTests() : EventStoreTests(TestStateDb.SqliteAsync);

[Collection(PostgreSqlStateCollection.Name)]
public sealed class PostgreSqlEventStoreTests(PostgreSqlStateServer server) : EventStoreTests(() => TestStateDb.PostgreSqlAsync(server))
{
    public static string? SkipReason => PostgreSqlStateServer.SkipReason;
}
