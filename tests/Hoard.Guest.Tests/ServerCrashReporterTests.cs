using Hoard.Contracts.Conductor;
using Hoard.Guest.Datastores;

namespace Hoard.Guest.Tests;

public sealed class ServerCrashReporterTests
{
    private readonly ManualTime _time = new();

    [Theory]
    [InlineData(137, "was killed by SIGKILL (signal 9)")]
    [InlineData(134, "was killed by SIGABRT (signal 6)")]
    [InlineData(128 + 40, "was killed by signal 40")]
    [InlineData(1, "exited with code 1")]
    [InlineData(0, "exited with code 0")]
    public void HowItEnded_NamesTheSignalOrTheExitCode(int exitCode, string expected) =>
        Assert.Equal(expected, Crash(exitCode).HowItEnded);

    [Fact]
    public void ACrash_IsReportedWithHowTheServerEnded()
    {
        var report = new ServerCrashReporter(_time).Record(Crash(137, restart: 1), Room());

        Assert.Equal("The database server stopped unexpectedly: it was killed by SIGKILL (signal 9); the guest restarts it, with backoff.", report.Message);
        Assert.Equal("mariadbd was killed by SIGKILL (signal 9) after 30 s; restart 1 in 0.5 s.", report.Details);
        Assert.Equal(_time.GetUtcNow(), report.Since);
    }

    [Fact]
    public void ACrashOnAFullVolume_SaysSo()
    {
        var report = new ServerCrashReporter(_time).Record(Crash(134), new VolumeReport(1000, 3, Full: true));

        Assert.Contains("while the volume was full (writes failed with ENOSPC)", report.Message);
        Assert.Contains("The volume had 3 of 1000 bytes free.", report.Details);
    }

    [Fact]
    public void CrashesSoonAfterAStart_BelongToTheFirstCrashsRun()
    {
        var reporter = new ServerCrashReporter(_time);
        var first = reporter.Record(Crash(137, restart: 1), Room());
        _time.Advance(TimeSpan.FromSeconds(2));

        var second = reporter.Record(Crash(1, uptime: TimeSpan.FromSeconds(1), restart: 2), Room());

        Assert.Equal(first.Since, second.Since);
        Assert.Equal(first.Message, second.Message);
        Assert.Contains("restart 2", second.Details);
    }

    [Fact]
    public void ACrashAfterAStableRun_StartsANewRun()
    {
        var reporter = new ServerCrashReporter(_time);
        var first = reporter.Record(Crash(137), Room());
        _time.Advance(TimeSpan.FromMinutes(5));

        var second = reporter.Record(Crash(1, uptime: ServerSupervisor.StableUptime), Room());

        Assert.True(second.Since > first.Since);
        Assert.Contains("it exited with code 1", second.Message);
    }

    [Fact]
    public void TheReport_IsSentUntilTheServerHasBeenHealthyForAMinute()
    {
        var reporter = new ServerCrashReporter(_time);
        Assert.Null(reporter.Current(healthy: true));
        reporter.Record(Crash(137), Room());

        Assert.NotNull(reporter.Current(healthy: false));
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.NotNull(reporter.Current(healthy: true));
        _time.Advance(ServerSupervisor.StableUptime - TimeSpan.FromSeconds(1));
        Assert.NotNull(reporter.Current(healthy: true));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(reporter.Current(healthy: true));
    }

    [Fact]
    public void BeingUnhealthyAgain_RestartsTheMinute()
    {
        var reporter = new ServerCrashReporter(_time);
        reporter.Record(Crash(137), Room());
        Assert.NotNull(reporter.Current(healthy: true));
        _time.Advance(TimeSpan.FromSeconds(50));
        Assert.NotNull(reporter.Current(healthy: false));
        Assert.NotNull(reporter.Current(healthy: true));
        _time.Advance(TimeSpan.FromSeconds(50));

        Assert.NotNull(reporter.Current(healthy: true));
    }

    private static ServerCrash Crash(int exitCode, TimeSpan? uptime = null, int restart = 1) =>
        new("mariadbd", exitCode, uptime ?? TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(0.5), restart);

    private static VolumeReport Room() => new(1000, 900, Full: false);

    private sealed class ManualTime : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
