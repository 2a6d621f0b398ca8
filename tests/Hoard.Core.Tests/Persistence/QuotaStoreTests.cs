using Hoard.Contracts.Guest;
using Hoard.Core.Catalog;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;
using Hoard.Tests.Shared;

namespace Hoard.Core.Tests.Persistence;

/// <summary>Quotas in a real state database (SQLite and PostgreSQL): limits, usage, and the create that checks them atomically.</summary>
public abstract class QuotaStoreTests(Func<Task<TestStateDb>> create) : StateDbTests(create)
{
    private static readonly Dictionary<string, int> Defaults = new()
    {
        [QuotaStore.Instances] = 3, [QuotaStore.Ram] = -1, [QuotaStore.Volumes] = 100, [QuotaStore.Backups] = 50,
    };

    private StateDb _db = null!;
    private QuotaStore _quotas = null!;
    private InstanceStore _instances = null!;

    protected override async Task InitializeStoresAsync()
    {
        _db = Db;
        _quotas = new QuotaStore(_db, TimeProvider.System);
        _instances = new InstanceStore(_db, TimeProvider.System);
        var catalog = new CatalogStore(_db);
        await catalog.UpsertFlavorAsync(new Flavor("1", "m1.tiny", 512, 1, 5), CancellationToken.None);
        await catalog.UpsertFlavorAsync(new Flavor("2", "m1.small", 1024, 1, 10), CancellationToken.None);
    }

    [StateDbFact]
    public async Task Limits_AreTheDefaults_UntilSet_AndSetOnlyForTheirProject()
    {
        Assert.Equal(Defaults, await _quotas.GetLimitsAsync("p1", Defaults, CancellationToken.None));
        await _quotas.SetLimitsAsync("p1", new Dictionary<string, int> { [QuotaStore.Instances] = 7, [QuotaStore.Ram] = 4096 }, CancellationToken.None);
        await _quotas.SetLimitsAsync("p1", new Dictionary<string, int> { [QuotaStore.Instances] = 8 }, CancellationToken.None);

        var limits = await _quotas.GetLimitsAsync("p1", Defaults, CancellationToken.None);
        Assert.Equal((8, 4096, 100, 50), (limits[QuotaStore.Instances], limits[QuotaStore.Ram], limits[QuotaStore.Volumes], limits[QuotaStore.Backups]));
        Assert.Equal(Defaults, await _quotas.GetLimitsAsync("p2", Defaults, CancellationToken.None));
    }

    [StateDbFact]
    public async Task SetLimits_UnknownResource_ChangesNothing()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _quotas.SetLimitsAsync("p1",
            new Dictionary<string, int> { [QuotaStore.Instances] = 1, ["cores"] = 2 }, CancellationToken.None));
        Assert.Equal(Defaults, await _quotas.GetLimitsAsync("p1", Defaults, CancellationToken.None));
    }

    [StateDbFact]
    public async Task Usage_CountsLiveInstances_TheirFlavorsRam_AndVolumeSizes()
    {
        Assert.Empty(await TryInsertAsync("p1", "1", 2));
        Assert.Empty(await TryInsertAsync("p1", "2", 5));
        var gone = NewInstance("p1", "2", 10);
        Assert.Empty(await _instances.TryInsertWithinQuotaAsync(gone, Workflow(gone.Id), Defaults, CancellationToken.None));
        await _instances.MarkDeletedAsync(gone.Id, CancellationToken.None);
        Assert.Empty(await TryInsertAsync("p2", "2", 1));

        var usage = await _quotas.GetUsageAsync("p1", CancellationToken.None);
        Assert.Equal((2L, 1536L, 7L, 0L), (usage[QuotaStore.Instances], usage[QuotaStore.Ram], usage[QuotaStore.Volumes], usage[QuotaStore.Backups]));
    }

    [StateDbFact]
    public async Task TryInsert_OverQuota_NamesEveryResourceExceeded_AndInsertsNothing()
    {
        await _quotas.SetLimitsAsync("p1", new Dictionary<string, int>
        {
            [QuotaStore.Instances] = 1, [QuotaStore.Ram] = 1024, [QuotaStore.Volumes] = 5,
        }, CancellationToken.None);
        Assert.Empty(await TryInsertAsync("p1", "1", 1));

        Assert.Equal(["instances", "ram", "volumes"], await TryInsertAsync("p1", "2", 5));
        Assert.Equal(["instances"], await TryInsertAsync("p1", "1", 1));
        Assert.Single(await _instances.ListAsync("p1", 10, null, CancellationToken.None));
        Assert.Equal(1, await _instances.CountAsync("p1", CancellationToken.None));
    }

    [StateDbFact]
    public async Task TryInsert_UnlimitedAndZeroLimits()
    {
        await _quotas.SetLimitsAsync("p1", new Dictionary<string, int> { [QuotaStore.Instances] = -1, [QuotaStore.Ram] = 0 }, CancellationToken.None);
        Assert.Equal(["ram"], await TryInsertAsync("p1", "1", 1));
        await _quotas.SetLimitsAsync("p1", new Dictionary<string, int> { [QuotaStore.Ram] = -1 }, CancellationToken.None);
        for (var i = 0; i < 5; i++)
        {
            Assert.Empty(await TryInsertAsync("p1", "1", 1));
        }
    }

    [StateDbFact]
    public async Task TryInsert_Concurrently_NeverPassesTheLimit()
    {
        await _quotas.SetLimitsAsync("p1", new Dictionary<string, int> { [QuotaStore.Instances] = 4 }, CancellationToken.None);
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => TryInsertAsync("p1", "1", 1))));

        Assert.Equal(4, results.Count(r => r.Count == 0));
        Assert.All(results.Where(r => r.Count > 0), r => Assert.Equal(["instances"], r));
        Assert.Equal(4, await _instances.CountAsync("p1", CancellationToken.None));
    }

    [StateDbFact]
    public void Exceeded_IgnoresUnlimitedAndZeroDeltas_AndSortsByName()
    {
        var limits = new Dictionary<string, int> { ["instances"] = 2, ["ram"] = 100, ["volumes"] = -1, ["backups"] = 0 };
        var usage = new Dictionary<string, long> { ["instances"] = 2, ["ram"] = 100, ["volumes"] = 1_000_000, ["backups"] = 5 };
        Assert.Equal(["instances", "ram"], QuotaStore.Exceeded(limits, usage,
            new Dictionary<string, long> { ["volumes"] = 10, ["ram"] = 1, ["instances"] = 1, ["backups"] = 0 }));
        Assert.Empty(QuotaStore.Exceeded(limits, usage, new Dictionary<string, long> { ["volumes"] = 10, ["ram"] = 0 }));
        Assert.Empty(QuotaStore.Exceeded(limits, new Dictionary<string, long>(), new Dictionary<string, long> { ["instances"] = 2, ["ram"] = 100 }));
    }

    private async Task<IReadOnlyList<string>> TryInsertAsync(string project, string flavor, int size)
    {
        var instance = NewInstance(project, flavor, size);
        return await _instances.TryInsertWithinQuotaAsync(instance, Workflow(instance.Id), Defaults, CancellationToken.None);
    }

    private static InstanceRecord NewInstance(string project, string flavor, int size) => new()
    {
        Id = Guid.NewGuid().ToString(), ProjectId = project, Name = "i", FlavorId = flavor, DatastoreVersionId = "v1", VolumeSize = size,
        Task = InstanceTask.Building, ServerStatus = ServerStatus.Build, ServiceStatus = ServiceStatus.New, Port = 3306,
        Created = DateTimeOffset.UtcNow, Updated = DateTimeOffset.UtcNow,
    };

    private static WorkflowRecord Workflow(string instanceId) => new()
    {
        Id = Guid.NewGuid().ToString(), Type = "test", InstanceId = instanceId, Created = DateTimeOffset.UtcNow, Updated = DateTimeOffset.UtcNow,
    };
}

public sealed class SqliteQuotaStoreTests() : QuotaStoreTests(TestStateDb.SqliteAsync);

[Collection(PostgreSqlStateCollection.Name)]
public sealed class PostgreSqlQuotaStoreTests(PostgreSqlStateServer server) : QuotaStoreTests(() => TestStateDb.PostgreSqlAsync(server))
{
    public static string? SkipReason => PostgreSqlStateServer.SkipReason;
}
