using Hoard.Core.Backups;

namespace Hoard.Core.Tests.Backups;

public sealed class BackupRetentionTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-01T12:00:00Z");

    /// <summary>A backup made <paramref name="daysAgo"/> days ago; scheduled unless said otherwise.</summary>
    private static RetentionCandidate B(string id, double daysAgo, string? parent = null, string status = BackupStatus.Completed,
        bool scheduled = true) => new(id, parent, status, Now.AddDays(-daysAgo), scheduled);

    private static List<string> Expired(RetentionPolicy policy, params RetentionCandidate[] backups) =>
        [.. BackupRetention.Select(backups, policy, Now).Select(e => e.Id)];

    [Fact]
    public void Count_KeepsTheNewestCompleted_AndExpiresTheRest_NewestFirst() =>
        Assert.Equal(["c", "b", "a"], Expired(new(2, null), B("a", 5), B("b", 4), B("c", 3), B("d", 2), B("e", 1)));

    [Fact]
    public void Days_ExpiresWhatIsOlder() =>
        Assert.Equal(["b", "a"], Expired(new(null, 3), B("a", 5), B("b", 3.5), B("c", 2.5), B("d", 0.1)));

    [Fact]
    public void CountAndDays_ExpireWhatEitherExpires()
    {
        Assert.Equal(["c", "b", "a"], Expired(new(3, 3), B("a", 5), B("b", 4), B("c", 3.5), B("d", 1), B("e", 0.5)));
        Assert.Equal(["b", "a"], Expired(new(3, 10), B("a", 5), B("b", 4), B("c", 3.5), B("d", 1), B("e", 0.5)));
    }

    [Fact]
    public void ManualBackups_AreNeverExpired_NorCounted() =>
        Assert.Equal(["a"], Expired(new(1, 1), B("a", 5), B("m1", 9, scheduled: false), B("b", 0.5), B("m2", 0.1, scheduled: false)));

    [Fact]
    public void RunningBackups_AreNeverExpired_NorCounted() =>
        Assert.Equal(["a"], Expired(new(1, 1), B("a", 5), B("b", 2, status: BackupStatus.Building), B("c", 1.5, status: BackupStatus.New),
            B("d", 0.5)));

    [Fact]
    public void FailedBackups_GoOnceANewerOneCompleted_AndNeverCountAgainstCompletedOnes() =>
        Assert.Equal(["f1"], Expired(new(2, null), B("a", 5), B("f1", 4, status: BackupStatus.Failed), B("b", 3),
            B("f2", 2, status: BackupStatus.Failed), B("f3", 1, status: BackupStatus.DeleteFailed)));

    [Fact]
    public void FailedBackups_WithNothingCompleted_KeepAtMostCount() =>
        Assert.Equal(["f1"], Expired(new(2, null), B("f1", 3, status: BackupStatus.Failed), B("f2", 2, status: BackupStatus.Failed),
            B("f3", 1, status: BackupStatus.Failed)));

    [Fact]
    public void AChain_IsExpiredWhole_WhenNothingKeptBuildsOnIt() =>
        Assert.Equal(["i2", "i1", "f1"], Expired(new(2, null), B("f1", 6), B("i1", 5, "f1"), B("i2", 4, "i1"), B("f2", 3), B("i3", 2, "f2")));

    [Fact]
    public void AFullBackup_ThatAKeptIncrementalBuildsOn_IsKept_WithEveryLinkBetween() =>
        Assert.Equal(["a"], Expired(new(1, null), B("a", 7), B("f", 6), B("i1", 5, "f"), B("i2", 4, "i1")));

    [Fact]
    public void AFullBackup_ThatAManualIncrementalBuildsOn_IsKept() =>
        Assert.Empty(Expired(new(1, null), B("f", 6), B("m", 5, "f", scheduled: false), B("g", 1)));

    [Fact]
    public void AFullBackup_ThatARunningIncrementalBuildsOn_IsKept() =>
        Assert.Equal(["a"], Expired(new(1, 1), B("a", 8), B("f", 6), B("i", 0.1, "f", status: BackupStatus.Building), B("g", 0.5)));

    [Fact]
    public void Reasons_SayWhichRuleExpiredTheBackup()
    {
        var expired = BackupRetention.Select([B("a", 5), B("b", 4), B("c", 0.1), B("f", 3, status: BackupStatus.Failed)], new(3, 4), Now);
        Assert.Equal("older than 4 days", expired.Single(e => e.Id == "a").Reason);
        Assert.Equal("FAILED, and a newer scheduled backup completed", expired.Single(e => e.Id == "f").Reason);
        Assert.DoesNotContain(expired, e => e.Id == "b");
        Assert.Equal("beyond the newest 1 completed scheduled backups",
            BackupRetention.Select([B("a", 5), B("b", 4)], new(1, null), Now).Single().Reason);
    }
}
