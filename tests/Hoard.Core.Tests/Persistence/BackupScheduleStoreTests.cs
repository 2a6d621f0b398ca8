using Hoard.Core.Backups;
using Hoard.Core.Tests.Server.Backups;
using Hoard.Persistence;
using Hoard.Tests.Shared;

namespace Hoard.Core.Tests.Persistence;

/// <summary>Backup schedules and their runs in a real state database (SQLite and PostgreSQL).</summary>
public abstract class BackupScheduleStoreTests(Func<Task<TestStateDb>> create) : StateDbTests(create)
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 6, 0, 0, TimeSpan.Zero);
    private BackupBed _bed = null!;
    private BackupScheduleStore _schedules = null!;

    protected override async Task InitializeStoresAsync()
    {
        _bed = await BackupBed.CreateAsync(Db);
        _schedules = new BackupScheduleStore(Db, TimeProvider.System);
    }

    protected override async Task DisposeStoresAsync() => await _bed.DisposeAsync();

    [StateDbFact]
    public async Task Put_CreatesThenReplaces_AndOnlyEnabledSchedulesOfLiveInstancesAreDue()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var gone = await _bed.AddInstanceAsync("p1");
        await _schedules.PutAsync(Schedule(instance.Id, Start), CancellationToken.None);
        await _schedules.PutAsync(Schedule(gone.Id, Start), CancellationToken.None);
        await _bed.Instances.MarkDeletedAsync(gone.Id, CancellationToken.None);

        var replaced = Schedule(instance.Id, Start.AddMinutes(30));
        replaced.RetentionCount = 3;
        replaced.Incremental = true;
        await _schedules.PutAsync(replaced, CancellationToken.None);

        var stored = (await _schedules.GetAsync(instance.Id, CancellationToken.None))!;
        Assert.Equal((60, 3, true, true, Start.AddMinutes(30)), (stored.IntervalMinutes, stored.RetentionCount, stored.Incremental, stored.Enabled, stored.NextRun));
        Assert.Empty(await _schedules.ListDueAsync(Start.AddMinutes(29), CancellationToken.None));
        Assert.Equal([instance.Id], (await _schedules.ListDueAsync(Start.AddMinutes(30), CancellationToken.None)).Select(s => s.InstanceId));
        Assert.Equal(2, (await _schedules.ListAsync(CancellationToken.None)).Count);

        replaced.Enabled = false;
        await _schedules.PutAsync(replaced, CancellationToken.None);
        Assert.Empty(await _schedules.ListDueAsync(Start.AddHours(1), CancellationToken.None));
    }

    [StateDbFact]
    public async Task TryAdvance_OnlyFromTheNextRunRead()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        await _schedules.PutAsync(Schedule(instance.Id, Start), CancellationToken.None);

        Assert.False(await _schedules.TryAdvanceAsync(instance.Id, Start.AddMinutes(1), Start.AddHours(1), CancellationToken.None));
        Assert.True(await _schedules.TryAdvanceAsync(instance.Id, Start, Start.AddHours(1), CancellationToken.None));
        Assert.Equal(Start.AddHours(1), (await _schedules.GetAsync(instance.Id, CancellationToken.None))!.NextRun);
    }

    [StateDbFact]
    public async Task Runs_AreOnePerDueTime_AndEndedOnesAreListedWithTheirBackupsStatus()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var backup = await _bed.AddCompletedBackupAsync(instance, [1, 2, 3]);
        await _schedules.PutAsync(Schedule(instance.Id, Start), CancellationToken.None);

        await _schedules.SaveRunAsync(Run(instance, Start, ScheduleRunStatus.Starting, null), CancellationToken.None);
        await _schedules.SaveRunAsync(Run(instance, Start, ScheduleRunStatus.Running, backup.Id), CancellationToken.None);
        await _schedules.SaveRunAsync(Run(instance, Start.AddHours(1), ScheduleRunStatus.Running, "gone"), CancellationToken.None);

        var latest = (await _schedules.GetLatestRunAsync(instance.Id, CancellationToken.None))!;
        Assert.Equal((Start.AddHours(1), "gone"), (latest.Due, latest.BackupId));
        var run = (await _schedules.GetRunAsync(instance.Id, Start, CancellationToken.None))!;
        Assert.Equal((ScheduleRunStatus.Running, backup.Id), (run.Status, run.BackupId));
        var ended = (await _schedules.ListEndedRunsAsync(CancellationToken.None)).OrderBy(r => r.Due).ToList();
        var expected = new (DateTimeOffset, string?)[] { (Start, "COMPLETED"), (Start.AddHours(1), null) };
        Assert.Equal(expected, ended.Select(r => (r.Due, r.BackupStatus)));
    }

    [StateDbFact]
    public async Task RetentionCandidates_AreMarkedScheduledWhenARunMadeThem()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var scheduled = await _bed.AddCompletedBackupAsync(instance, [1]);
        var manual = await _bed.AddCompletedBackupAsync(instance, [2]);
        await _schedules.SaveRunAsync(Run(instance, Start, ScheduleRunStatus.Completed, scheduled.Id), CancellationToken.None);

        var candidates = (await _schedules.ListRetentionCandidatesAsync(instance.Id, CancellationToken.None)).ToDictionary(c => c.Id);

        Assert.True(candidates[scheduled.Id].Scheduled);
        Assert.False(candidates[manual.Id].Scheduled);
        Assert.Equal(scheduled.Created, candidates[scheduled.Id].Created);
    }

    [StateDbFact]
    public async Task Tidy_KeepsTheNewestRuns_AndForgetsTheScheduleOfADeletedInstanceWithoutBackups()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        await _schedules.PutAsync(Schedule(instance.Id, Start), CancellationToken.None);
        for (var i = 0; i < BackupScheduleStore.RunsKept + 3; i++)
            await _schedules.SaveRunAsync(Run(instance, Start.AddHours(i), ScheduleRunStatus.Skipped, null), CancellationToken.None);

        await _schedules.TidyAsync(instance.Id, CancellationToken.None);
        Assert.Equal(Start.AddHours(3), (await _schedules.GetRunAsync(instance.Id, Start.AddHours(3), CancellationToken.None))?.Due);
        Assert.Null(await _schedules.GetRunAsync(instance.Id, Start.AddHours(2), CancellationToken.None));
        Assert.NotNull(await _schedules.GetAsync(instance.Id, CancellationToken.None));

        await _bed.Instances.MarkDeletedAsync(instance.Id, CancellationToken.None);
        Assert.True(await _schedules.IsInstanceGoneAsync(instance.Id, CancellationToken.None));
        await _schedules.TidyAsync(instance.Id, CancellationToken.None);
        Assert.Null(await _schedules.GetAsync(instance.Id, CancellationToken.None));
        Assert.Null(await _schedules.GetLatestRunAsync(instance.Id, CancellationToken.None));
    }

    private static BackupSchedule Schedule(string instanceId, DateTimeOffset nextRun) => new()
    {
        InstanceId = instanceId, ProjectId = "p1", IntervalMinutes = 60, NextRun = nextRun, Created = Start, Updated = Start,
    };

    private static BackupScheduleRun Run(Hoard.Core.Instances.InstanceRecord instance, DateTimeOffset due, string status, string? backupId) => new()
    {
        InstanceId = instance.Id, ProjectId = instance.ProjectId, Due = due, Status = status, BackupId = backupId,
    };
}

public sealed class SqliteBackupScheduleStoreTests() : BackupScheduleStoreTests(TestStateDb.SqliteAsync);

[Collection(PostgreSqlStateCollection.Name)]
public sealed class PostgreSqlBackupScheduleStoreTests(PostgreSqlStateServer server) : BackupScheduleStoreTests(() => TestStateDb.PostgreSqlAsync(server))
{
    public static string? SkipReason => PostgreSqlStateServer.SkipReason;
}
