namespace Hoard.Guest.Tests;

public sealed class VolumeMonitorTests
{
    private const long MiB = 1L << 20;
    private const long GiB = 1L << 30;

    [Theory]
    [InlineData(GiB, GiB / 100)]
    [InlineData(5 * GiB, 5 * GiB / 100)]
    [InlineData(100 * GiB, 64 * MiB)]
    public void FullBelow_IsOnePercent_AtMost64MB(long size, long expected) =>
        Assert.Equal(expected, VolumeMonitor.FullBelow(size));

    [Fact]
    public void AVolumeWithRoom_IsNotFull()
    {
        var report = new VolumeMonitor("/unused").Assess(GiB, 500 * MiB);

        Assert.False(report.Full);
        Assert.Equal((GiB, 500 * MiB), (report.SizeBytes, report.AvailableBytes));
    }

    [Fact]
    public void LessThanOnePercentFree_IsFull() =>
        Assert.True(new VolumeMonitor("/unused").Assess(GiB, 1 * MiB).Full);

    [Fact]
    public void AFullVolume_StaysFullUntilTwiceTheThresholdIsFree()
    {
        var monitor = new VolumeMonitor("/unused");
        var threshold = VolumeMonitor.FullBelow(GiB);

        Assert.True(monitor.Assess(GiB, threshold - 1).Full);
        Assert.True(monitor.Assess(GiB, threshold + 1).Full);
        Assert.True(monitor.Assess(GiB, 2 * threshold - 1).Full);
        Assert.False(monitor.Assess(GiB, 2 * threshold).Full);
        Assert.False(monitor.Assess(GiB, threshold + 1).Full);
    }

    [Fact]
    public void Measure_ReadsTheFilesystemOfARealDirectory()
    {
        var report = new VolumeMonitor(Path.GetTempPath()).Measure();

        Assert.NotNull(report);
        Assert.True(report.SizeBytes > 0 && report.AvailableBytes >= 0 && report.AvailableBytes <= report.SizeBytes, report.ToString());
    }

    [Fact]
    public void Measure_OfAMissingVolume_IsNull() =>
        Assert.Null(new VolumeMonitor("/nonexistent-" + Guid.NewGuid().ToString("N")).Measure());

    [Fact]
    public void Measure_UsesTheMeasurementItIsGiven()
    {
        var monitor = new VolumeMonitor("/data", path => path == "/data" ? (GiB, 0) : throw new IOException(path));

        Assert.True(monitor.Measure()!.Full);
    }
}
