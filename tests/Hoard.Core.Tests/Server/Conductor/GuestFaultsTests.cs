using Hoard.Contracts.Conductor;
using Hoard.Contracts.Guest;
using Hoard.Core.Instances;
using Hoard.Persistence;
using Hoard.Server.Conductor;

namespace Hoard.Core.Tests.Server.Conductor;

/// <summary>The faults heartbeats leave on an instance, in a real SQLite state database.</summary>
public sealed class GuestFaultsTests : IAsyncLifetime
{
    private static readonly VolumeReport Full = new(1_033_285_632, 4096, Full: true);
    private static readonly VolumeReport Room = new(1_033_285_632, 500_000_000, Full: false);
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"hoard-faults-{Guid.NewGuid():N}.db");
    private readonly InstanceRecord _instance = new()
    {
        Id = "i-1", ProjectId = "p", Name = "n", FlavorId = "1", DatastoreVersionId = "v", ServiceStatus = ServiceStatus.Healthy,
    };
    private StateDb _db = null!;
    private InstanceStore _instances = null!;
    private GuestFaults _faults = null!;

    public async Task InitializeAsync()
    {
        _db = new StateDb(_path);
        await _db.MigrateAsync(CancellationToken.None);
        _instances = new InstanceStore(_db, TimeProvider.System);
        _faults = new GuestFaults(_instances, new ConductorStore(_db));
    }

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(file);
        }

        return Task.CompletedTask;
    }

    [Fact]
    public async Task AFullVolume_IsOneFault_WhileItLasts()
    {
        await RecordAsync(Healthy(Full));
        await RecordAsync(Healthy(Full with { AvailableBytes = 0 }));

        var fault = await LatestAsync();
        Assert.StartsWith("The volume is full (1.0 GB of 1.0 GB used)", fault?.Message);
        Assert.Equal("4096 of 1033285632 bytes free on the volume's filesystem.", fault?.Details);
        Assert.Equal(1, await _instances.DeleteFaultsAsync(_instance.Id, VolumeFault.Prefix, CancellationToken.None));
    }

    [Fact]
    public async Task RoomAgain_RemovesTheVolumeFault_AndShowsTheFaultBeforeIt()
    {
        await _instances.AddFaultAsync(_instance.Id, "Restarting the instance failed at step 'restart'.", null, CancellationToken.None);
        await RecordAsync(Healthy(Full));

        await RecordAsync(Healthy(Room));

        Assert.Equal("Restarting the instance failed at step 'restart'.", (await LatestAsync())?.Message);
    }

    [Fact]
    public async Task RoomAgain_WithoutAnEarlierFault_LeavesNone()
    {
        await RecordAsync(Healthy(Full));

        await RecordAsync(Healthy(Room));

        Assert.Null(await LatestAsync());
    }

    [Fact]
    public async Task AHeartbeatWithoutAVolume_ChangesNoVolumeFault()
    {
        await RecordAsync(Healthy(Full));

        await RecordAsync(Healthy(null));

        Assert.True(VolumeFault.Is((await LatestAsync())!.Message));
    }

    [Fact]
    public async Task ARunOfCrashes_IsRecordedOnce_AndStaysAfterRecovery()
    {
        var since = DateTimeOffset.UtcNow;
        var crash = new ServerCrashReport(since, "The database server stopped unexpectedly: it was killed by SIGKILL (signal 9); ...", "restart 1");

        await RecordAsync(new HeartbeatPayload(_instance.Id, ServiceStatus.Crashed, Volume: Room, Crash: crash));
        await RecordAsync(new HeartbeatPayload(_instance.Id, ServiceStatus.Running, Volume: Room, Crash: crash with { Details = "restart 2" }));
        await RecordAsync(Healthy(Room));

        var fault = await LatestAsync();
        Assert.Equal(crash.Message, fault?.Message);
        Assert.Equal("restart 1", fault?.Details);
        await _instances.DeleteFaultsAsync(_instance.Id, "The database server", CancellationToken.None);
        Assert.Null(await LatestAsync());
    }

    [Fact]
    public async Task ANewRunOfCrashes_IsANewFault()
    {
        var first = new ServerCrashReport(DateTimeOffset.UtcNow, "first run", "d");
        await RecordAsync(new HeartbeatPayload(_instance.Id, ServiceStatus.Crashed, Crash: first));

        await RecordAsync(new HeartbeatPayload(_instance.Id, ServiceStatus.Crashed, Crash: new ServerCrashReport(first.Since.AddMinutes(5), "second run", "d")));

        Assert.Equal("second run", (await LatestAsync())?.Message);
    }

    [Fact]
    public async Task ACrashOnAFullVolume_LeavesTheVolumeFaultShown_AndTheCrashOnceThereIsRoom()
    {
        await RecordAsync(Healthy(Full));
        var crash = new ServerCrashReport(DateTimeOffset.UtcNow, "The database server stopped unexpectedly: ... while the volume was full", "d");

        await RecordAsync(new HeartbeatPayload(_instance.Id, ServiceStatus.Crashed, Volume: Full, Crash: crash));
        Assert.True(VolumeFault.Is((await LatestAsync())!.Message));

        await RecordAsync(new HeartbeatPayload(_instance.Id, ServiceStatus.Running, Volume: Room, Crash: crash));
        Assert.Equal(crash.Message, (await LatestAsync())?.Message);
    }

    [Fact]
    public async Task AFailedPrepare_IsRecordedWhenTheStatusBecomesFailed()
    {
        await RecordAsync(new HeartbeatPayload(_instance.Id, ServiceStatus.Failed, "Preparing the database server failed: x", "IOException"));

        Assert.Equal("Preparing the database server failed: x", (await LatestAsync())?.Message);
    }

    private static HeartbeatPayload Healthy(VolumeReport? volume) => new("i-1", ServiceStatus.Healthy, Volume: volume);

    private Task RecordAsync(HeartbeatPayload heartbeat) => _faults.RecordAsync(_instance, heartbeat, CancellationToken.None);

    private Task<InstanceFault?> LatestAsync() => _instances.GetLatestFaultAsync(_instance.Id, CancellationToken.None);
}
