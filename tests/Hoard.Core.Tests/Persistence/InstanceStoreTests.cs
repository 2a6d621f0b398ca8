using Hoard.Core.Catalog;
using Hoard.Core.Instances;
using Hoard.Core.Tests.Backups;
using Hoard.Core.Workflows;
using Hoard.Persistence;
using Hoard.Tests.Shared;

namespace Hoard.Core.Tests.Persistence;

/// <summary>Instances' rows in a real state database (SQLite and PostgreSQL): the conditional task changes, lists and faults.</summary>
public abstract class InstanceStoreTests(Func<Task<TestStateDb>> create) : StateDbTests(create)
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 6, 0, 0, TimeSpan.Zero);
    private static readonly InstanceTask[] Idle = [InstanceTask.None];
    private readonly ManualTime _time = new(Start);
    private InstanceStore _instances = null!;
    private WorkflowStore _workflows = null!;

    protected override async Task InitializeStoresAsync()
    {
        _instances = new InstanceStore(Db, _time);
        _workflows = new WorkflowStore(Db);
        await new CatalogStore(Db).UpsertFlavorAsync(new Flavor("1", "m1.tiny", 512, 1, 5), CancellationToken.None);
    }

    [StateDbFact]
    public async Task Insert_RoundTripsEveryColumn_AndGetHidesDeletedInstances()
    {
        var instance = StoreRecords.Instance("p1", Start, address: "127.100.0.2");
        instance.AllowedCidrs = "10.0.0.0/8";
        instance.BusSecretHash = "hash";
        await _instances.InsertAsync(instance, StoreRecords.Workflow(instance.Id), CancellationToken.None);

        var stored = (await _instances.GetAsync(instance.Id, CancellationToken.None))!;
        Assert.Equal((instance.Name, 1, 3306, "127.100.0.2", "10.0.0.0/8", "hash", Start, false),
            (stored.Name, stored.VolumeSize, stored.Port, stored.Address, stored.AllowedCidrs, stored.BusSecretHash, stored.Created, stored.Deleted));
        Assert.Null(stored.ServiceStatusUpdated);
        Assert.Single(await _workflows.ListRunningAsync(CancellationToken.None));

        await _instances.MarkDeletedAsync(instance.Id, CancellationToken.None);
        Assert.Null(await _instances.GetAsync(instance.Id, CancellationToken.None));
        var deleted = (await _instances.GetAnyProjectAsync(instance.Id, includeDeleted: true, CancellationToken.None))!;
        Assert.True(deleted.Deleted);
        Assert.Null(deleted.Address);
        Assert.Equal([deleted.Id], (await _instances.ListAnyProjectAsync("p1", deleted: true, 10, null, CancellationToken.None)).Select(i => i.Id));
    }

    [StateDbFact]
    public async Task TwoLiveInstances_CannotShareAnAddress_ButADeletedOneGivesItUp()
    {
        var first = await InsertAsync("p1", Start, address: "127.100.0.9");
        var second = StoreRecords.Instance("p1", Start, address: "127.100.0.9");

        var refused = await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() =>
            _instances.InsertAsync(second, StoreRecords.Workflow(second.Id), CancellationToken.None));
        Assert.True(StateDb.IsUniqueViolation(refused), refused.Message);
        Assert.False(StateDb.IsUniqueViolation(new InvalidOperationException()));
        Assert.Null(await _instances.GetAsync(second.Id, CancellationToken.None));
        Assert.Empty(await _workflows.ListForInstanceAsync(second.Id, CancellationToken.None));

        await _instances.MarkDeletedAsync(first.Id, CancellationToken.None);
        await _instances.InsertAsync(second, StoreRecords.Workflow(second.Id), CancellationToken.None);
        Assert.Equal("127.100.0.9", (await _instances.GetAsync(second.Id, CancellationToken.None))!.Address);
    }

    [StateDbFact]
    public async Task List_IsNewestFirst_InPages_PerProject()
    {
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
            ids.Add((await InsertAsync("p1", Start.AddMinutes(i))).Id);
        await InsertAsync("p2", Start.AddMinutes(10));

        var first = await _instances.ListAsync("p1", 2, null, CancellationToken.None);
        var second = await _instances.ListAsync("p1", 2, first[^1].Id, CancellationToken.None);
        var third = await _instances.ListAsync("p1", 2, second[^1].Id, CancellationToken.None);

        Assert.Equal(Enumerable.Reverse(ids), first.Concat(second).Concat(third).Select(i => i.Id));
        Assert.Equal(6, (await _instances.ListAsync(null, 10, null, CancellationToken.None)).Count);
        Assert.Equal(5, await _instances.CountAsync("p1", CancellationToken.None));
        Assert.True(await _instances.NameTakenAsync("p1", first[0].Name, CancellationToken.None));
        Assert.False(await _instances.NameTakenAsync("p2", first[0].Name, CancellationToken.None));
    }

    [StateDbFact]
    public async Task TryBegin_OnlyFromAnAllowedTask_AndOnlyOnce()
    {
        var instance = await InsertAsync("p1", Start);

        Assert.True(await _instances.TryBeginAsync(instance.Id, InstanceTask.Rebooting, StoreRecords.Workflow(instance.Id), Idle, CancellationToken.None));
        Assert.False(await _instances.TryBeginAsync(instance.Id, InstanceTask.Resizing, StoreRecords.Workflow(instance.Id), Idle, CancellationToken.None));

        Assert.Equal(InstanceTask.Rebooting, (await _instances.GetAsync(instance.Id, CancellationToken.None))!.Task);
        Assert.Equal(2, (await _workflows.ListForInstanceAsync(instance.Id, CancellationToken.None)).Count);
        Assert.False(await _instances.TrySetTaskAsync(instance.Id, InstanceTask.Resizing, InstanceTask.None, CancellationToken.None));
        Assert.True(await _instances.TrySetTaskAsync(instance.Id, InstanceTask.Rebooting, InstanceTask.None, CancellationToken.None));
    }

    [StateDbFact]
    public async Task TryBegin_Concurrently_LetsExactlyOneActionStart()
    {
        var instance = await InsertAsync("p1", Start);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            _instances.TryBeginAsync(instance.Id, InstanceTask.Rebooting, StoreRecords.Workflow(instance.Id), Idle, CancellationToken.None))));

        Assert.Single(results, r => r);
        Assert.Equal(2, (await _workflows.ListForInstanceAsync(instance.Id, CancellationToken.None)).Count);
    }

    [StateDbFact]
    public async Task TryBeginWithinQuota_OverALimit_ChangesNothing()
    {
        var instance = await InsertAsync("p1", Start);
        var limits = new Dictionary<string, int> { [QuotaStore.Ram] = 1024 };

        var (begun, exceeded) = await TryResizeAsync(instance, new Dictionary<string, long> { [QuotaStore.Ram] = 1024 }, limits);
        Assert.False(begun);
        Assert.Equal(["ram"], exceeded);
        Assert.Equal(InstanceTask.None, (await _instances.GetAsync(instance.Id, CancellationToken.None))!.Task);
        Assert.Single(await _workflows.ListForInstanceAsync(instance.Id, CancellationToken.None));

        (begun, exceeded) = await TryResizeAsync(instance, new Dictionary<string, long> { [QuotaStore.Ram] = 512 }, limits);
        Assert.True(begun);
        Assert.Empty(exceeded);
        Assert.Equal(InstanceTask.Resizing, (await _instances.GetAsync(instance.Id, CancellationToken.None))!.Task);
        Assert.Equal(2, (await _workflows.ListForInstanceAsync(instance.Id, CancellationToken.None)).Count);
    }

    [StateDbFact]
    public async Task TryBeginDelete_AbandonsTheOtherRunningWorkflows_AndTheirLatestStepIsKnown()
    {
        var instance = await InsertAsync("p1", Start);
        var resize = StoreRecords.Workflow(instance.Id);
        Assert.True(await _instances.TryBeginAsync(instance.Id, InstanceTask.Resizing, resize, Idle, CancellationToken.None));
        Assert.NotNull(await _workflows.TryClaimAsync(resize.Id, "tm-test", Start, Start.AddMinutes(1), CancellationToken.None));
        resize.Owner = "tm-test";
        resize.Step = 1;
        resize.StepStarted = Start.AddSeconds(5);
        await _workflows.SaveAsync(resize, CancellationToken.None);
        Assert.Null(await _instances.LatestAbandonedStepStartAsync(instance.Id, CancellationToken.None));

        Assert.True(await _instances.TryBeginDeleteAsync(instance.Id, StoreRecords.Workflow(instance.Id), [InstanceTask.Resizing],
            CancellationToken.None));

        Assert.Equal(Start.AddSeconds(5), await _instances.LatestAbandonedStepStartAsync(instance.Id, CancellationToken.None));
        await Assert.ThrowsAsync<WorkflowAbandonedException>(() => _workflows.SaveAsync(resize, CancellationToken.None));
        Assert.Equal(InstanceTask.Deleting, (await _instances.GetAsync(instance.Id, CancellationToken.None))!.Task);
        Assert.False(await _instances.TryBeginDeleteAsync(instance.Id, StoreRecords.Workflow(instance.Id), [InstanceTask.None],
            CancellationToken.None));
    }

    [StateDbFact]
    public async Task ResetStatus_EndsTheTask_AndAbandonsRunningWorkflows()
    {
        var instance = await InsertAsync("p1", Start);
        Assert.True(await _instances.TryBeginAsync(instance.Id, InstanceTask.Rebooting, StoreRecords.Workflow(instance.Id), Idle, CancellationToken.None));

        await _instances.ResetStatusAsync(instance.Id, CancellationToken.None);

        var reset = (await _instances.GetAsync(instance.Id, CancellationToken.None))!;
        Assert.Equal((InstanceTask.None, Hoard.Contracts.Guest.ServiceStatus.Unknown), (reset.Task, reset.ServiceStatus));
        Assert.Empty(await _workflows.ListRunningAsync(CancellationToken.None));
    }

    [StateDbFact]
    public async Task OrphanedTasks_AreThoseWithoutARunningWorkflow_UnchangedSinceTheCutoff()
    {
        var orphan = await InsertAsync("p1", Start, task: InstanceTask.Rebooting, workflowStatus: WorkflowStatus.Failed);
        await InsertAsync("p1", Start, task: InstanceTask.Rebooting);
        await InsertAsync("p1", Start, workflowStatus: WorkflowStatus.Failed);

        Assert.Equal([orphan.Id], (await _instances.ListOrphanedTasksAsync(Start.AddMinutes(1), CancellationToken.None)).Select(i => i.Id));
        Assert.Empty(await _instances.ListOrphanedTasksAsync(Start, CancellationToken.None));
    }

    [StateDbFact]
    public async Task Faults_LatestIsShown_AndThoseOfAnEndedConditionAreRemovedByPrefix()
    {
        var instance = await InsertAsync("p1", Start);
        await _instances.AddFaultAsync(instance.Id, "Volume full: 100%", null, CancellationToken.None);
        _time.Now = Start.AddMinutes(1);
        await _instances.AddFaultAsync(instance.Id, "Server crashed", "signal 9", CancellationToken.None);
        _time.Now = Start.AddMinutes(2);
        await _instances.AddFaultAsync(instance.Id, "Volume full: 99%", null, CancellationToken.None);

        Assert.Equal("Volume full: 99%", (await _instances.GetLatestFaultAsync(instance.Id, CancellationToken.None))!.Message);
        Assert.Equal(0, await _instances.DeleteFaultsAsync(instance.Id, "volume full", CancellationToken.None));
        Assert.Equal(2, await _instances.DeleteFaultsAsync(instance.Id, "Volume full", CancellationToken.None));

        var latest = (await _instances.GetLatestFaultAsync(instance.Id, CancellationToken.None))!;
        Assert.Equal(("Server crashed", "signal 9", Start.AddMinutes(1)), (latest.Message, latest.Details, latest.Created));
        Assert.Null(await _instances.GetLatestFaultAsync("nobody", CancellationToken.None));
    }

    [StateDbFact]
    public async Task RootHistory_IsRecordedOnce_WhoeverEnablesRootAgain()
    {
        var instance = await InsertAsync("p1", Start);
        Assert.False(await _instances.HasRootHistoryAsync(instance.Id, CancellationToken.None));

        await _instances.RecordRootEnabledAsync(instance.Id, "u1", CancellationToken.None);
        await _instances.RecordRootEnabledAsync(instance.Id, "u2", CancellationToken.None);

        Assert.True(await _instances.HasRootHistoryAsync(instance.Id, CancellationToken.None));
    }

    [StateDbFact]
    public async Task ReplicasOf_ManySources_AreGroupedOldestFirst()
    {
        var source = await InsertAsync("p1", Start);
        var lonely = await InsertAsync("p1", Start);
        var replicas = new List<string>();
        for (var i = 1; i <= 2; i++)
        {
            var replica = await InsertAsync("p1", Start.AddMinutes(i));
            await _instances.SetReplicaOfAsync(replica.Id, source.Id, CancellationToken.None);
            replicas.Add(replica.Id);
        }

        var grouped = await _instances.ListReplicasOfAsync([source.Id, lonely.Id], CancellationToken.None);

        Assert.Equal(replicas, grouped[source.Id]);
        Assert.False(grouped.ContainsKey(lonely.Id));
        Assert.Equal([source.Id], (await _instances.ListSourcesWithReplicasAsync(CancellationToken.None)).Select(i => i.Id));
    }

    [StateDbFact]
    public async Task ListPage_IsListsPage_WithEachInstancesLiveReplicas_OldestFirst()
    {
        var source = await InsertAsync("p1", Start);
        var other = await InsertAsync("p2", Start.AddMinutes(1));
        var replicas = new List<string>();
        for (var i = 1; i <= 3; i++)
        {
            var replica = await InsertAsync("p1", Start.AddMinutes(i));
            await _instances.SetReplicaOfAsync(replica.Id, source.Id, CancellationToken.None);
            replicas.Add(replica.Id);
        }

        // A deleted replica is not shown; nor is a replica of an instance of another project.
        await _instances.MarkDeletedAsync(replicas[1], CancellationToken.None);
        replicas.RemoveAt(1);
        var foreign = await InsertAsync("p2", Start.AddMinutes(5));
        await _instances.SetReplicaOfAsync(foreign.Id, other.Id, CancellationToken.None);
        for (var i = 0; i < 3; i++)
            await InsertAsync("p1", Start.AddMinutes(10 + i));

        var pages = new List<InstancePage>();
        string? marker = null;
        do
        {
            var page = await _instances.ListPageAsync("p1", 2, marker, CancellationToken.None);
            var listed = await _instances.ListAsync("p1", 2, marker, CancellationToken.None);
            Assert.Equivalent(listed, page.Instances, strict: true);
            pages.Add(page);
            marker = page.Instances.Count == 2 ? page.Instances[^1].Id : null;
        }
        while (marker is not null);

        Assert.Equal(6, pages.Sum(p => p.Instances.Count));
        Assert.Empty(pages[^1].Instances);
        var withSource = pages.Single(p => p.Instances.Any(i => i.Id == source.Id));
        Assert.Equal(replicas, withSource.Replicas[source.Id]);
        Assert.Single(pages.SelectMany(p => p.Replicas));
    }

    private Task<(bool Begun, IReadOnlyList<string> Exceeded)> TryResizeAsync(InstanceRecord instance, Dictionary<string, long> deltas,
        Dictionary<string, int> limits) =>
        _instances.TryBeginWithinQuotaAsync(instance, InstanceTask.Resizing, StoreRecords.Workflow(instance.Id), [InstanceTask.None],
            deltas, limits, CancellationToken.None);

    private async Task<InstanceRecord> InsertAsync(string project, DateTimeOffset created, string? address = null,
        InstanceTask task = InstanceTask.None, string workflowStatus = WorkflowStatus.Running)
    {
        var instance = StoreRecords.Instance(project, created, address, task: task);
        var workflow = StoreRecords.Workflow(instance.Id, created: created);
        workflow.Status = workflowStatus;
        await _instances.InsertAsync(instance, workflow, CancellationToken.None);
        return instance;
    }
}

public sealed class SqliteInstanceStoreTests() : InstanceStoreTests(TestStateDb.SqliteAsync);

[Collection(PostgreSqlStateCollection.Name)]
public sealed class PostgreSqlInstanceStoreTests(PostgreSqlStateServer server) : InstanceStoreTests(() => TestStateDb.PostgreSqlAsync(server))
{
    public static string? SkipReason => PostgreSqlStateServer.SkipReason;
}
