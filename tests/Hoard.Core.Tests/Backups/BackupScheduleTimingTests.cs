using Hoard.Core.Backups;

namespace Hoard.Core.Tests.Backups;

public sealed class BackupScheduleTimingTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-12-01T03:00:00Z");

    private static BackupSchedule Interval(int minutes, int? window = null) =>
        new() { InstanceId = "i", ProjectId = "p", IntervalMinutes = minutes, WindowMinutes = window, RetentionCount = 3 };

    private static BackupSchedule Cron(string cron, int? window = null) =>
        new() { InstanceId = "i", ProjectId = "p", Cron = cron, WindowMinutes = window, RetentionCount = 3 };

    [Fact]
    public void Interval_FirstRunIsOneIntervalAfterItIsSet_AndRunsStayOnThatGrid()
    {
        var s = Interval(360);
        Assert.Equal(T0.AddHours(6), s.FirstRun(T0));
        Assert.Equal(T0.AddHours(12), s.Following(T0.AddHours(6)));
        Assert.Equal(T0.AddHours(18), s.LatestDue(T0, T0.AddHours(20)));
        Assert.Equal(T0.AddHours(18), s.LatestDue(T0, T0.AddHours(18)));
        Assert.Equal(T0, s.LatestDue(T0, T0.AddHours(5)));
        Assert.Equal(T0, s.LatestDue(T0, T0.AddHours(-1)));
    }

    [Fact]
    public void Cron_LatestDue_IsTheLastMatchNotAfterNow()
    {
        var s = Cron("0 3 * * *");
        Assert.Equal(T0.AddDays(1), s.FirstRun(T0));
        Assert.Equal(T0.AddDays(9), s.LatestDue(T0, T0.AddDays(9).AddHours(23)));
        Assert.Equal(T0, s.LatestDue(T0, T0.AddMinutes(59)));
    }

    [Fact]
    public void WindowEnd_IsTheWindow_ButNeverPastTheNextRun()
    {
        Assert.Equal(T0.AddMinutes(60), Interval(360, window: 60).WindowEnd(T0));
        Assert.Equal(T0.AddHours(6), Interval(360).WindowEnd(T0));
        Assert.Equal(T0.AddMinutes(5), Interval(5, window: 60).WindowEnd(T0));
        Assert.Equal(T0.AddMinutes(15), Cron("*/15 * * * *", window: 1000).WindowEnd(T0));
    }

    [Theory]
    [InlineData(false, 1, 0, true)]
    [InlineData(true, 1, 0, false)]
    [InlineData(true, 2, 0, false)]
    [InlineData(true, 3, 0, true)]
    [InlineData(true, 1, 13, false)]
    [InlineData(true, 1, 14, true)]
    public void StartsNewChain_WhenTheChainHoldsCountBackups_OrItsFullIsDaysOld(bool incremental, int chainLength, int fullAgeDays, bool expected)
    {
        var s = new BackupSchedule
        {
            InstanceId = "i", ProjectId = "p", IntervalMinutes = 60, RetentionCount = 3, RetentionDays = 14, Incremental = incremental,
        };
        Assert.Equal(expected, s.StartsNewChain(chainLength, T0.AddDays(-fullAgeDays), T0));
    }
}
