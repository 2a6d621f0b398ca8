using Hoard.Core.PointInTime;

namespace Hoard.Core.Tests.PointInTime;

public sealed class WalFileNameTests
{
    [Theory]
    [InlineData("000000010000000000000003", WalFileKind.Segment, 1u, 3L)]
    [InlineData("0000000200000001000000FF", WalFileKind.Segment, 2u, 511L)]
    [InlineData("00000002.history", WalFileKind.History, 2u, null)]
    [InlineData("000000010000000000000002.00000028.backup", WalFileKind.BackupHistory, 1u, 2L)]
    [InlineData("000000010000000000000005.partial", WalFileKind.Partial, 1u, 5L)]
    public void TryParse_ReadsWhatPostgreSqlArchives(string name, WalFileKind kind, uint timeline, long? segment)
    {
        Assert.Equal(new WalFileName(name, kind, timeline, segment), WalFileName.TryParse(name));
    }

    [Theory]
    [InlineData("binlog.000001", 1L)]
    [InlineData("binlog.123456789", 123456789L)]
    public void TryParse_ReadsMariaDbBinaryLogsAsSegmentsOfTimelineZero(string name, long number) =>
        Assert.Equal(new WalFileName(name, WalFileKind.Segment, 0, number), WalFileName.TryParse(name));

    [Theory]
    [InlineData("")]
    [InlineData("binlog.00001")]
    [InlineData("binlog.index")]
    [InlineData("mysql-bin.000001")]
    [InlineData("00000001000000000000003")]
    [InlineData("000000010000000000000100")]
    [InlineData("00000001000000000000000a")]
    [InlineData("../../etc/passwd")]
    [InlineData("000000010000000000000003/x")]
    [InlineData("RECOVERYXLOG")]
    public void TryParse_RefusesAnythingElse(string name) => Assert.Null(WalFileName.TryParse(name));

    [Fact]
    public void SegmentName_IsTheInverseOfParsing()
    {
        foreach (var segment in new long[] { 1, 255, 256, 257, 70000 })
            Assert.Equal(segment, WalFileName.TryParse(WalFileName.SegmentName(3, segment))!.Segment);
    }

    [Fact]
    public void StorageKey_OfABinaryLog_HasNoDot() =>
        Assert.Equal("p1/wal/i-1/binlog_000007", WalFileName.TryParse("binlog.000007")!.StorageKey("p1", "i-1"));

    [Fact]
    public void StorageKey_IsBesideTheProjectsBackups_WithoutDots() =>
        Assert.Equal("p1/wal/i-1/00000002_history", WalFileName.TryParse("00000002.history")!.StorageKey("p1", "i-1"));
}
