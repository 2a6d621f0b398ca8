using Hoard.Core.PointInTime;

namespace Hoard.Core.Tests.PointInTime;

public sealed class RecoveryWindowTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 22, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Window_RunsFromTheBackupsEndToTheLastSegmentArchivedWithoutAGap_AndIsShownInWholeSeconds()
    {
        var backup = Backup("b1", start: 2, consistentAt: T0.AddSeconds(10.4));
        var window = RecoveryWindow.Compute([backup], [Segment(1, 5), Segment(2, 12), Segment(3, 70.6), Segment(4, 130.2), Segment(6, 250)]);

        Assert.Equal([new RecoveryInterval(T0.AddSeconds(10.4), T0.AddSeconds(130.2))], window.Intervals);
        Assert.Equal(new RecoveryInterval(T0.AddSeconds(11), T0.AddSeconds(130)), window.Shown);
    }

    [Fact]
    public void Window_IsEmpty_WithoutABackup_OrBeforeTheBackupsOwnWalIsArchived()
    {
        Assert.Null(RecoveryWindow.Compute([], [Segment(1, 5), Segment(2, 12)]).Shown);
        Assert.Null(RecoveryWindow.Compute([Backup("b1", start: 3, consistentAt: T0.AddSeconds(10))], [Segment(1, 5), Segment(2, 12)]).Shown);
        Assert.Null(RecoveryWindow.Compute([Backup("b1", start: 2, consistentAt: T0.AddSeconds(20))], [Segment(2, 12)]).Shown);
    }

    [Fact]
    public void AGap_EndsABackupsReach_AndALaterBackupStartsANewStretch_WhichIsTheOneShown()
    {
        var window = RecoveryWindow.Compute(
            [Backup("old", start: 2, consistentAt: T0.AddSeconds(10)), Backup("new", start: 7, consistentAt: T0.AddSeconds(300))],
            [Segment(2, 20), Segment(3, 60), Segment(5, 200), Segment(7, 310), Segment(8, 400)]);

        Assert.Equal([new RecoveryInterval(T0.AddSeconds(10), T0.AddSeconds(60)), new RecoveryInterval(T0.AddSeconds(300), T0.AddSeconds(400))],
            window.Intervals);
        Assert.Equal(new RecoveryInterval(T0.AddSeconds(300), T0.AddSeconds(400)), window.Shown);
        Assert.Equal("old", window.Plan(T0.AddSeconds(30))!.BackupId);
        Assert.Null(window.Plan(T0.AddSeconds(100)));
        Assert.Null(window.Plan(T0.AddSeconds(401)));
        Assert.Null(window.Plan(T0.AddSeconds(9)));
    }

    [Fact]
    public void Plan_StartsFromTheNewestBackupThatReaches_AndReplaysUpToTheFirstSegmentEndingAfterTheTarget_AndOneMore()
    {
        var window = RecoveryWindow.Compute(
            [Backup("old", start: 2, consistentAt: T0.AddSeconds(10)), Backup("new", start: 4, consistentAt: T0.AddSeconds(100))],
            [History(2), Segment(2, 20), Segment(3, 60), Segment(4, 110), Segment(5, 160), Segment(6, 220), Segment(7, 280)]);

        var plan = window.Plan(T0.AddSeconds(150))!;

        Assert.Equal("new", plan.BackupId);
        // A later timeline's history is not the backup's: only its own timeline's are replayed.
        Assert.Equal([Name(4), Name(5), Name(6)], plan.Files);
        Assert.Equal("old", window.Plan(T0.AddSeconds(150), "old")!.BackupId);
        Assert.Equal([Name(2), Name(3), Name(4), Name(5), Name(6)], window.Plan(T0.AddSeconds(150), "old")!.Files);
        Assert.Null(window.Plan(T0.AddSeconds(50), "new"));
        Assert.Equal([Name(4), Name(5), Name(6), Name(7)], window.Plan(T0.AddSeconds(280))!.Files);
        var onTimeline2 = RecoveryWindow.Compute([new RecoverableBackup("tl2", 2, 9, T0)], [History(2), Segment(9, 10, timeline: 2)]);
        Assert.Equal(["00000002.history", WalFileName.SegmentName(2, 9)], onTimeline2.Plan(T0.AddSeconds(5))!.Files);
    }

    [Fact]
    public void MariaDbBinaryLogs_ReachFromTheBackupsFile_WhileNumberedWithoutAGap()
    {
        var record = new Hoard.Core.Backups.BackupRecord
        {
            Id = "m", ProjectId = "p", Name = "n", DatastoreType = "mariadb", DatastoreVersion = "10.11", DatastoreVersionId = "v",
            Strategy = "mariadb-backup", StorageDriver = "local", Status = "COMPLETED",
            Metadata = """{"wal_start_file":"binlog.000002","wal_start_position":"385","wal_consistent_at":"2026-11-30T22:00:10.5000000Z"}""",
        };
        var backup = RecoverableBackup.From(record);
        Assert.Equal(new RecoverableBackup("m", 0, 2, T0.AddSeconds(10.5)), backup);

        var files = new[] { Binlog(1, 5), Binlog(2, 20), Binlog(3, 40), Binlog(5, 90) };
        var window = RecoveryWindow.Compute([backup!], files);

        Assert.Equal([new RecoveryInterval(T0.AddSeconds(10.5), T0.AddSeconds(40))], window.Intervals);
        Assert.Equal(["binlog.000002", "binlog.000003"], window.Plan(T0.AddSeconds(15))!.Files);
        Assert.Null(window.Plan(T0.AddSeconds(41)));
    }

    [Fact]
    public void OnlyCompletedFullBackupsWithWalMetadata_CanStartARestore()
    {
        var record = new Hoard.Core.Backups.BackupRecord
        {
            Id = "b", ProjectId = "p", Name = "n", DatastoreType = "postgresql", DatastoreVersion = "15", DatastoreVersionId = "v",
            Strategy = "pg_basebackup", StorageDriver = "local", Status = "COMPLETED",
            Metadata = """{"wal_start_file":"000000010000000000000002","wal_consistent_at":"2026-11-30T22:00:10.5000000Z"}""",
        };

        Assert.Equal(new RecoverableBackup("b", 1, 2, T0.AddSeconds(10.5)), RecoverableBackup.From(record));
        record.Status = "FAILED";
        Assert.Null(RecoverableBackup.From(record));
        record.Status = "COMPLETED";
        record.Metadata = """{"server_version":"15"}""";
        Assert.Null(RecoverableBackup.From(record));
    }

    [Fact]
    public void Retention_DropsWhatNoBackupCanReplay_ButNothingARunningBackupMayNeed()
    {
        var keepAfter = T0.AddSeconds(200);
        var files = new[] { Segment(1, 5), Segment(2, 12), Segment(3, 70), Segment(4, 250), History(2) };

        var unneeded = WalRetention.Unneeded([Backup("b", start: 3, consistentAt: T0.AddSeconds(60))], files, keepAfter);
        Assert.Equal([Name(1), Name(2)], unneeded.Select(f => f.Name));
        Assert.Equal([Name(1), Name(2), Name(3)], WalRetention.Unneeded([], files, keepAfter).Select(f => f.Name));
    }

    private static RecoverableBackup Backup(string id, long start, DateTimeOffset consistentAt) => new(id, 1, start, consistentAt);

    private static string Name(long segment) => WalFileName.SegmentName(1, segment);

    private static WalFileRecord Binlog(long number, double endSeconds) => new()
    {
        InstanceId = "i", ProjectId = "p", Name = $"binlog.{number:D6}", Kind = WalFileKind.Segment, Timeline = 0, Segment = number,
        Checksum = "c", StorageDriver = "local", EndTime = T0.AddSeconds(endSeconds), Archived = T0.AddSeconds(endSeconds + 1),
    };

    private static WalFileRecord Segment(long segment, double endSeconds, uint timeline = 1) => new()
    {
        InstanceId = "i", ProjectId = "p", Name = WalFileName.SegmentName(timeline, segment), Kind = WalFileKind.Segment, Timeline = timeline,
        Segment = segment,
        Checksum = "c", StorageDriver = "local", EndTime = T0.AddSeconds(endSeconds), Archived = T0.AddSeconds(endSeconds + 1),
    };

    private static WalFileRecord History(uint timeline) => new()
    {
        InstanceId = "i", ProjectId = "p", Name = $"{timeline:X8}.history", Kind = WalFileKind.History, Timeline = timeline,
        Checksum = "c", StorageDriver = "local", EndTime = T0, Archived = T0,
    };
}
