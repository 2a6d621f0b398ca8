using Dapper;
using Hoard.Contracts.Guest;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;

namespace Hoard.Core.Tests.Persistence;

/// <summary>Which writes wait for the disk: guests' reports do not, everything else does, whichever pooled connection it gets.</summary>
public sealed class StateDbDurabilityTests
{
    private const long Normal = 1;
    private const long Full = 2;

    [Fact]
    public async Task OpenAsync_SyncsEveryCommit_EvenOnAConnectionAReportUsedBefore()
    {
        await using var temp = await TempStateDb.CreateAsync();
        await using (var report = await temp.Db.OpenForReportsAsync(CancellationToken.None))
        {
            Assert.Equal(Normal, await Synchronous(report));
        }

        // The pool hands the same connection back: it must not keep the reports' setting.
        await using var durable = await temp.Db.OpenAsync(CancellationToken.None);
        Assert.Equal(Full, await Synchronous(durable));
    }

    [Fact]
    public async Task OpenForReportsAsync_SkipsTheWalSync_EvenOnAConnectionADurableWriteUsedBefore()
    {
        await using var temp = await TempStateDb.CreateAsync();
        await using (var durable = await temp.Db.OpenAsync(CancellationToken.None))
        {
            Assert.Equal(Full, await Synchronous(durable));
        }

        await using var report = await temp.Db.OpenForReportsAsync(CancellationToken.None);
        Assert.Equal(Normal, await Synchronous(report));
        Assert.Equal(1L, await report.ExecuteScalarAsync<long>("PRAGMA foreign_keys"));
    }

    [Fact]
    public async Task Heartbeats_WrittenOverReportConnections_AreReadBackAndStaleOnesDropped()
    {
        await using var temp = await TempStateDb.CreateAsync();
        var instances = new InstanceStore(temp.Db, TimeProvider.System);
        var lastSeen = new ConductorStore(temp.Db);
        var now = DateTimeOffset.UtcNow;
        var instance = new InstanceRecord
        {
            Id = "i-1", ProjectId = "p", Name = "n", FlavorId = "1", DatastoreVersionId = "v", Task = InstanceTask.None,
            ServerStatus = ServerStatus.Active, ServiceStatus = ServiceStatus.New, Created = now, Updated = now,
        };
        await instances.InsertAsync(instance, new WorkflowRecord { Id = "w-1", Type = "provision_instance", InstanceId = "i-1", Created = now, Updated = now },
            CancellationToken.None);

        Assert.True(await lastSeen.TryAdvanceAsync("i-1", "heartbeat", now.AddSeconds(2), CancellationToken.None));
        await instances.RecordHeartbeatAsync("i-1", ServiceStatus.Healthy, null, now.AddSeconds(2), CancellationToken.None);
        Assert.False(await lastSeen.TryAdvanceAsync("i-1", "heartbeat", now.AddSeconds(1), CancellationToken.None));

        var stored = await instances.GetAsync("i-1", CancellationToken.None);
        Assert.Equal(ServiceStatus.Healthy, stored!.ServiceStatus);
        Assert.Equal(now.AddSeconds(2), stored.ServiceStatusUpdated);
        Assert.Equal(now.AddSeconds(2), stored.LastHealthy);
    }

    private static Task<long> Synchronous(System.Data.Common.DbConnection connection) => connection.ExecuteScalarAsync<long>("PRAGMA synchronous");
}
