using Hoard.Contracts.Guest;
using Hoard.Core.Catalog;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;
using Hoard.Tests.Shared;

namespace Hoard.Core.Tests.Persistence;

/// <summary>The hosts table and instances' placements in a real state database (SQLite and PostgreSQL).</summary>
public abstract class HostStoreTests(Func<Task<TestStateDb>> create) : StateDbTests(create)
{
    private InstanceStore _instances = null!;
    private HostStore _hosts = null!;

    protected override async Task InitializeStoresAsync()
    {
        _instances = new InstanceStore(Db, TimeProvider.System);
        _hosts = new HostStore(Db, TimeProvider.System);
        await new CatalogStore(Db).UpsertFlavorAsync(new Flavor("f1", "small", 512, 1, 0), CancellationToken.None);
    }

    [StateDbFact]
    public async Task Report_InsertsThenUpdatesTheHost_AndListCountsWhatLiveInstancesPlacedThereTake()
    {
        await _hosts.ReportAsync("h1", "10.0.0.1", 4096, 100, 3000, 90, CancellationToken.None);
        await _hosts.ReportAsync("h1", "10.0.0.9", 8192, 200, 7000, 150, CancellationToken.None);
        var a = await InsertAsync(volumeSize: 2);
        var b = await InsertAsync(volumeSize: 3);
        var gone = await InsertAsync(volumeSize: 5);
        foreach (var id in new[] { a.Id, b.Id, gone.Id })
            Assert.True(await _hosts.TrySetHostAsync(id, null, "h1", CancellationToken.None));
        await _instances.MarkDeletedAsync(gone.Id, CancellationToken.None);

        var host = Assert.Single(await _hosts.ListAsync(CancellationToken.None));

        Assert.Equal(("h1", "10.0.0.9", 8192L, 200L, 7000L, 150L, HostStore.Up), (host.Name, host.Address, host.RamMb, host.DiskGb, host.FreeRamMb, host.FreeDiskGb, host.Status));
        Assert.Equal((1024L, 5L), (host.AllocatedRamMb, host.AllocatedDiskGb));
        Assert.Equal([a.Id, b.Id], await _hosts.InstancesOnAsync("h1", CancellationToken.None));
        Assert.Equal("h1", await _hosts.HostOfAsync(gone.Id, CancellationToken.None));
    }

    [StateDbFact]
    public async Task TrySetHost_PlacesOnlyFromTheExpectedHost()
    {
        var instance = await InsertAsync();

        Assert.False(await _hosts.TrySetHostAsync(instance.Id, "h9", "h1", CancellationToken.None));
        Assert.True(await _hosts.TrySetHostAsync(instance.Id, null, "h1", CancellationToken.None));
        Assert.False(await _hosts.TrySetHostAsync(instance.Id, null, "h2", CancellationToken.None));
        Assert.True(await _hosts.TrySetHostAsync(instance.Id, "h1", "h2", CancellationToken.None));
        Assert.Equal("h2", (await _instances.GetAsync(instance.Id, CancellationToken.None))!.Host);
    }

    [StateDbFact]
    public async Task SetOf_GivesTheOtherMembersHosts_AndTheSourcesLocality()
    {
        var source = await InsertAsync(locality: "affinity");
        var first = await InsertAsync(replicaOf: source.Id, locality: "affinity");
        var second = await InsertAsync(replicaOf: source.Id);
        var unrelated = await InsertAsync();
        await _hosts.TrySetHostAsync(source.Id, null, "h1", CancellationToken.None);
        await _hosts.TrySetHostAsync(first.Id, null, "h2", CancellationToken.None);
        await _hosts.TrySetHostAsync(unrelated.Id, null, "h3", CancellationToken.None);

        var (peers, locality) = await _hosts.SetOfAsync(second.Id, CancellationToken.None);
        Assert.Equal(["h1", "h2"], peers.Order(StringComparer.Ordinal));
        Assert.Equal("affinity", locality);

        var (ofSource, sourceLocality) = await _hosts.SetOfAsync(source.Id, CancellationToken.None);
        Assert.Equal(["h2"], ofSource);
        Assert.Equal("affinity", sourceLocality);
        Assert.Equal("affinity", (await _instances.GetAsync(source.Id, CancellationToken.None))!.Locality);
    }

    [StateDbFact]
    public async Task MarkSilentDown_MarksOnlyHostsSilentSinceTheTime_Once()
    {
        await _hosts.ReportAsync("h1", "10.0.0.1", 4096, 100, 3000, 90, CancellationToken.None);
        Assert.Empty(await _hosts.MarkSilentDownAsync(DateTimeOffset.UtcNow.AddMinutes(-1), CancellationToken.None));

        Assert.Equal(["h1"], await _hosts.MarkSilentDownAsync(DateTimeOffset.UtcNow.AddMinutes(1), CancellationToken.None));
        Assert.Empty(await _hosts.MarkSilentDownAsync(DateTimeOffset.UtcNow.AddMinutes(1), CancellationToken.None));
        Assert.Equal(HostStore.Down, (await _hosts.GetAsync("h1", CancellationToken.None))!.Status);

        await _hosts.ReportAsync("h1", "10.0.0.1", 4096, 100, 3000, 90, CancellationToken.None);
        Assert.Equal(HostStore.Up, (await _hosts.GetAsync("h1", CancellationToken.None))!.Status);
    }

    private async Task<InstanceRecord> InsertAsync(int volumeSize = 1, string? replicaOf = null, string? locality = null)
    {
        var now = DateTimeOffset.UtcNow;
        var instance = new InstanceRecord
        {
            Id = Guid.NewGuid().ToString(), ProjectId = "p", Name = "i", FlavorId = "f1", DatastoreVersionId = "v1", VolumeSize = volumeSize,
            Task = InstanceTask.Building, ServerStatus = ServerStatus.Build, ServiceStatus = ServiceStatus.New, Port = 3306,
            Created = now, Updated = now, ReplicaOf = replicaOf, Locality = locality,
        };
        await _instances.InsertAsync(instance, new WorkflowRecord
        {
            Id = Guid.NewGuid().ToString(), Type = "test", InstanceId = instance.Id, Created = now, Updated = now,
        }, CancellationToken.None);
        await Task.Delay(2); // distinct creation times keep "oldest first" meaningful
        return instance;
    }
}

public sealed class SqliteHostStoreTests() : HostStoreTests(TestStateDb.SqliteAsync);

[Collection(PostgreSqlStateCollection.Name)]
public sealed class PostgreSqlHostStoreTests(PostgreSqlStateServer server) : HostStoreTests(() => TestStateDb.PostgreSqlAsync(server))
{
    public static string? SkipReason => PostgreSqlStateServer.SkipReason;
}
