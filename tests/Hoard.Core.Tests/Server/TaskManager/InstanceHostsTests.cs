using Hoard.Contracts.Guest;
using Hoard.Core.Catalog;
using Hoard.Core.Compute;
using Hoard.Core.Instances;
using Hoard.Core.Tests.Backups;
using Hoard.Core.Tests.Persistence;
using Hoard.Core.Workflows;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Hoard.Server.TaskManager.Hosts;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Hoard.Core.Tests.Server.TaskManager;

/// <summary>Placement over a real state DB: what is promised on each host, replication sets, hosts that go down.</summary>
public sealed class InstanceHostsTests : IAsyncLifetime
{
    private readonly ManualTime _time = new(DateTimeOffset.Parse("2026-12-01T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private TempStateDb _temp = null!;
    private InstanceStore _instances = null!;
    private HostStore _hosts = null!;
    private InstanceHosts _placer = null!;

    public async Task InitializeAsync()
    {
        _temp = await TempStateDb.CreateAsync();
        _instances = new InstanceStore(_temp.Db, _time);
        _hosts = new HostStore(_temp.Db, _time);
        var catalog = new CatalogStore(_temp.Db);
        await catalog.UpsertFlavorAsync(new Flavor("f1", "small", 1024, 1, 0), CancellationToken.None);
        _placer = new InstanceHosts(_hosts, _instances, catalog, Options.Create(new HoardOptions { HostDownAfterSeconds = 10 }), _time,
            NullLogger<InstanceHosts>.Instance);
    }

    public Task DisposeAsync() => _temp.DisposeAsync().AsTask();

    [Fact]
    public async Task Place_CountsWhatIsAlreadyPromisedOnEachHost_AndRecordsThePlacementOnce()
    {
        await ReportAsync("h1", ramMb: 2048);
        await ReportAsync("h2", ramMb: 4096);
        var placed = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var instance = await InsertAsync();
            placed.Add(await _placer.PlaceAsync(instance.Id, CancellationToken.None));
            Assert.Equal(placed[^1], await _placer.PlaceAsync(instance.Id, CancellationToken.None));
        }

        // h2 (4096 free) → h2 (3072) → tie at 2048: h1 (more free disk) → h2 → tie at 1024: h1 → h2.
        Assert.Equal(["h2", "h2", "h1", "h2", "h1", "h2"], placed);
        var full = await InsertAsync();
        var refused = await Assert.ThrowsAsync<PlacementException>(() => _placer.PlaceAsync(full.Id, CancellationToken.None));
        Assert.Equal("No host can take this instance: none that is up has room for 1024 MB of RAM and 1 GB of disk " +
                     "(h1 has 0 MB of RAM free; h2 has 0 MB of RAM free).", refused.Message);
        Assert.Null((await _instances.GetAsync(full.Id, CancellationToken.None))!.Host);
    }

    [Fact]
    public async Task Place_NeverPromisesMoreThanTheHostMeasuresFree()
    {
        await ReportAsync("h1", ramMb: 8192, freeRamMb: 512);
        await ReportAsync("h2", ramMb: 2048);

        Assert.Equal("h2", await _placer.PlaceAsync((await InsertAsync()).Id, CancellationToken.None));
    }

    [Fact]
    public async Task Place_PutsReplicasAwayFromTheirSetByDefault_AndWithItUnderAffinity()
    {
        await ReportAsync("h1", ramMb: 8192);
        await ReportAsync("h2", ramMb: 4096);
        await ReportAsync("h3", ramMb: 4096);
        var source = await InsertAsync();
        Assert.Equal("h1", await _placer.PlaceAsync(source.Id, CancellationToken.None));
        var first = await InsertAsync(replicaOf: source.Id);
        var second = await InsertAsync(replicaOf: source.Id);
        Assert.Equal("h2", await _placer.PlaceAsync(first.Id, CancellationToken.None));
        Assert.Equal("h3", await _placer.PlaceAsync(second.Id, CancellationToken.None));

        var together = await InsertAsync(locality: Locality.Affinity);
        Assert.Equal("h1", await _placer.PlaceAsync(together.Id, CancellationToken.None));
        var near = await InsertAsync(replicaOf: together.Id);
        Assert.Equal("h1", await _placer.PlaceAsync(near.Id, CancellationToken.None));
    }

    [Fact]
    public async Task Place_MovesABuildingInstanceOffAHostThatWentDown_ButLeavesABuiltOneWhereItsDataIs()
    {
        await ReportAsync("h1", ramMb: 8192);
        await ReportAsync("h2", ramMb: 4096);
        var building = await InsertAsync();
        var built = await InsertAsync();
        Assert.Equal("h1", await _placer.PlaceAsync(building.Id, CancellationToken.None));
        Assert.Equal("h1", await _placer.PlaceAsync(built.Id, CancellationToken.None));
        await _instances.SetTaskAsync(built.Id, InstanceTask.None, CancellationToken.None);

        _time.Now += TimeSpan.FromSeconds(11);
        await ReportAsync("h2", ramMb: 4096);

        Assert.False(await _placer.IsUpAsync("h1", CancellationToken.None));
        Assert.Equal(["h2"], await _placer.UpHostsAsync(CancellationToken.None));
        Assert.Equal("h2", await _placer.PlaceAsync(building.Id, CancellationToken.None));
        Assert.Equal("h1", await _placer.PlaceAsync(built.Id, CancellationToken.None));
    }

    private Task ReportAsync(string name, long ramMb, long? freeRamMb = null) =>
        _hosts.ReportAsync(name, "10.0.0." + name[1..], ramMb, 50, freeRamMb ?? ramMb, 50, CancellationToken.None);

    private async Task<InstanceRecord> InsertAsync(string? replicaOf = null, string? locality = null)
    {
        _time.Now += TimeSpan.FromMilliseconds(1);
        var instance = new InstanceRecord
        {
            Id = Guid.NewGuid().ToString(), ProjectId = "p", Name = "i", FlavorId = "f1", DatastoreVersionId = "v1", VolumeSize = 1,
            Task = InstanceTask.Building, ServerStatus = ServerStatus.Build, ServiceStatus = ServiceStatus.New, Port = 6379,
            Created = _time.Now, Updated = _time.Now, ReplicaOf = replicaOf, Locality = locality,
        };
        await _instances.InsertAsync(instance, new WorkflowRecord
        {
            Id = Guid.NewGuid().ToString(), Type = "test", InstanceId = instance.Id, Created = _time.Now, Updated = _time.Now,
        }, CancellationToken.None);
        return instance;
    }
}
