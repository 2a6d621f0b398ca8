using Hoard.Core.PointInTime;
using Hoard.Persistence;
using Hoard.Tests.Shared;

namespace Hoard.Core.Tests.Persistence;

/// <summary>WAL tokens and archived WAL files in a real state database (SQLite and PostgreSQL).</summary>
public abstract class WalArchiveStoreTests(Func<Task<TestStateDb>> create) : StateDbTests(create)
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 6, 0, 0, TimeSpan.Zero);
    private WalArchiveStore _wal = null!;
    private InstanceStore _instances = null!;

    protected override Task InitializeStoresAsync()
    {
        _wal = new WalArchiveStore(Db, TimeProvider.System);
        _instances = new InstanceStore(Db, TimeProvider.System);
        return Task.CompletedTask;
    }

    [StateDbFact]
    public async Task TokenHash_IsReplaced_AndForgotten()
    {
        Assert.Null(await _wal.GetTokenHashAsync("i1", CancellationToken.None));
        await _wal.SetTokenHashAsync("i1", "p1", "first", CancellationToken.None);
        await _wal.SetTokenHashAsync("i1", "p1", "second", CancellationToken.None);

        Assert.Equal("second", await _wal.GetTokenHashAsync("i1", CancellationToken.None));
        await _wal.DeleteArchiveAsync("i1", CancellationToken.None);
        Assert.Null(await _wal.GetTokenHashAsync("i1", CancellationToken.None));
    }

    [StateDbFact]
    public async Task AFileArchivedAgain_ReplacesItsRow_AndFilesAreListedByName()
    {
        await _wal.RecordAsync(File("i1", "000000010000000000000002", size: 10), CancellationToken.None);
        await _wal.RecordAsync(File("i1", "000000010000000000000001", size: 20), CancellationToken.None);
        await _wal.RecordAsync(File("i1", "000000010000000000000002", size: 30, encrypted: false), CancellationToken.None);
        await _wal.RecordAsync(File("i1", "00000002.history", kind: WalFileKind.History, segment: null), CancellationToken.None);

        var files = await _wal.ListAsync("i1", CancellationToken.None);
        Assert.Equal(["000000010000000000000001", "000000010000000000000002", "00000002.history"], files.Select(f => f.Name));
        var replaced = (await _wal.GetAsync("i1", "000000010000000000000002", CancellationToken.None))!;
        Assert.Equal((30L, false, WalFileKind.Segment, 2L, Start.AddMinutes(1)), (replaced.Size, replaced.Encrypted, replaced.Kind, replaced.Segment!.Value, replaced.EndTime));
        Assert.Null(files[2].Segment);

        await _wal.DeleteFileAsync("i1", "000000010000000000000001", CancellationToken.None);
        Assert.Equal(2, (await _wal.ListAsync("i1", CancellationToken.None)).Count);
    }

    [StateDbFact]
    public async Task Archives_SayWhetherTheirInstanceIsGone()
    {
        var live = StoreRecords.Instance("p1");
        await _instances.InsertAsync(live, StoreRecords.Workflow(live.Id), CancellationToken.None);
        await _wal.SetTokenHashAsync(live.Id, "p1", "hash", CancellationToken.None);
        await _wal.RecordAsync(File(live.Id, "000000010000000000000001"), CancellationToken.None);
        await _wal.RecordAsync(File("deleted-long-ago", "000000010000000000000001"), CancellationToken.None);

        var archives = await _wal.ListArchivesAsync(CancellationToken.None);

        var expected = new[] { ("deleted-long-ago", true), (live.Id, false) };
        Assert.Equal(expected, archives.OrderBy(a => a.Gone ? 0 : 1).Select(a => (a.InstanceId, a.Gone)));
    }

    [StateDbFact]
    public async Task ARunningBuild_ThatRestoresFromTheInstancesWal_KeepsItsFiles()
    {
        var restoring = StoreRecords.Instance("p1");
        var workflow = StoreRecords.Workflow(restoring.Id, """{"restore_wal_instance":"source-1","restore_layers":["b1"]}""", "provision_instance");
        await _instances.InsertAsync(restoring, workflow, CancellationToken.None);
        var other = StoreRecords.Instance("p1");
        await _instances.InsertAsync(other, StoreRecords.Workflow(other.Id, "not json"), CancellationToken.None);

        Assert.True(await _wal.IsRestoreSourceAsync("source-1", CancellationToken.None));
        Assert.False(await _wal.IsRestoreSourceAsync("source-2", CancellationToken.None));

        await _instances.ResetStatusAsync(restoring.Id, CancellationToken.None);
        Assert.False(await _wal.IsRestoreSourceAsync("source-1", CancellationToken.None));
    }

    private static WalFileRecord File(string instanceId, string name, long size = 1, bool encrypted = true, WalFileKind kind = WalFileKind.Segment,
        long? segment = 2) => new()
    {
        InstanceId = instanceId, ProjectId = "p1", Name = name, Kind = kind, Timeline = 1, Segment = segment, Size = size, Checksum = "c",
        Encrypted = encrypted, StorageDriver = "local", EndTime = Start.AddMinutes(1), Archived = Start.AddMinutes(2),
    };
}

public sealed class SqliteWalArchiveStoreTests() : WalArchiveStoreTests(TestStateDb.SqliteAsync);

[Collection(PostgreSqlStateCollection.Name)]
public sealed class PostgreSqlWalArchiveStoreTests(PostgreSqlStateServer server) : WalArchiveStoreTests(() => TestStateDb.PostgreSqlAsync(server))
{
    public static string? SkipReason => PostgreSqlStateServer.SkipReason;
}
