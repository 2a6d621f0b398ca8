using System.Security.Cryptography;
using Dapper;
using Hoard.Core.Backups;
using Hoard.Core.Instances;
using Hoard.Core.Tests.Backups;
using Hoard.Core.Workflows;
using Hoard.Persistence;
using Hoard.Server.TaskManager;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hoard.Core.Tests.Server.Backups;

/// <summary>
/// The scheduler's decisions, tick by tick on a clock the test moves, against a real state DB and local storage: backups
/// are started through the same path as <c>POST /backups</c> (their workflow is not run here; the test ends them).
/// </summary>
public sealed class BackupSchedulerTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-12-01T03:00:00Z");
    private readonly ManualTime _time = new(T0);
    private BackupBed _bed = null!;
    private BackupScheduleStore _schedules = null!;
    private WorkflowEngine _engine = null!;

    public async Task InitializeAsync()
    {
        _bed = await BackupBed.CreateAsync();
        _schedules = new BackupScheduleStore(_bed.Db, _time);
        _engine = new WorkflowEngine(_bed.Workflows, [], TimeProvider.System, NullLogger<WorkflowEngine>.Instance);
    }

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    /// <summary>A new scheduler each time, as after a restart: nothing it decides may live only in memory.</summary>
    private BackupScheduler Scheduler()
    {
        var deleter = new BackupDeleter(_bed.Backups, _bed.Pipeline, NullLogger<BackupDeleter>.Instance);
        return new BackupScheduler(_schedules, _bed.Instances, _bed.Backups,
            new BackupStarter(_bed.Catalog, _bed.Backups, _bed.Strategies, _bed.Pipeline, _engine, _bed.OptionsWrapper, _time),
            new ScheduledBackupPruner(_schedules, _bed.Backups, deleter, _time, NullLogger<ScheduledBackupPruner>.Instance),
            _bed.OptionsWrapper, _time, NullLogger<BackupScheduler>.Instance);
    }

    private Task TickAsync(TimeSpan at)
    {
        _time.Now = T0 + at;
        return Scheduler().TickAsync(default);
    }

    private async Task<BackupSchedule> ScheduleAsync(InstanceRecord instance, int intervalMinutes = 60, int? window = null, int? count = 2,
        int? days = null)
    {
        var schedule = new BackupSchedule
        {
            InstanceId = instance.Id, ProjectId = instance.ProjectId, IntervalMinutes = intervalMinutes, WindowMinutes = window,
            RetentionCount = count, RetentionDays = days, Created = _time.Now, Updated = _time.Now,
        };
        schedule.NextRun = schedule.FirstRun(_time.Now);
        await _schedules.PutAsync(schedule, default);
        return schedule;
    }

    private async Task<List<BackupRecord>> BackupsOfAsync(InstanceRecord instance) =>
        [.. await _bed.Backups.ListAsync(null, instance.Id, null, 100, null, default)];

    private async Task<BackupScheduleRun> LastRunAsync(InstanceRecord instance) =>
        (await _schedules.GetLatestRunAsync(instance.Id, default))!;

    private async Task<DateTimeOffset> NextRunAsync(InstanceRecord instance) => (await _schedules.GetAsync(instance.Id, default))!.NextRun;

    /// <summary>What the create_backup workflow does when the guest's upload arrived whole.</summary>
    private async Task CompleteAsync(BackupRecord backup, InstanceRecord instance)
    {
        Assert.True(await _bed.Backups.TryBeginBuildingAsync(backup.Id, default));
        var stored = await _bed.Pipeline.StoreAsync(backup, new MemoryStream(RandomNumberGenerator.GetBytes(1000)), true, default);
        Assert.True(await _bed.Backups.TryRecordUploadAsync(backup.Id, stored, default));
        Assert.True(await _bed.Backups.TryCompleteAsync(backup.Id, 1000, "{}", default));
        await _bed.Instances.SetTaskAsync(instance.Id, InstanceTask.None, default);
    }

    private string StoredPath(BackupRecord backup) => Path.Combine(_bed.Options.BackupDir, backup.ProjectId, backup.Id);

    [Fact]
    public async Task ADueRun_StartsABackupAsPostBackupsDoes_Once_AndTheNextRunMovesOn()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        await ScheduleAsync(instance);
        await TickAsync(TimeSpan.FromMinutes(59));
        Assert.Empty(await BackupsOfAsync(instance));

        await TickAsync(TimeSpan.FromMinutes(60.5));
        var backup = Assert.Single(await BackupsOfAsync(instance));
        Assert.Equal(("scheduled-20261201T040030Z", BackupStatus.New, null), (backup.Name, backup.Status, backup.ParentId));
        Assert.Equal(InstanceTask.BackingUp, (await _bed.Instances.GetAsync(instance.Id, default))!.Task);
        Assert.Contains(await _bed.Workflows.ListRunningAsync(default), w => w.Type == "create_backup" && w.Data.Contains(backup.Id, StringComparison.Ordinal));
        var run = await LastRunAsync(instance);
        Assert.Equal((ScheduleRunStatus.Running, backup.Id, T0.AddHours(1)), (run.Status, run.BackupId, run.Due));
        Assert.Equal(T0.AddHours(2), await NextRunAsync(instance));

        await TickAsync(TimeSpan.FromMinutes(61));
        Assert.Single(await BackupsOfAsync(instance));

        await CompleteAsync(backup, instance);
        await TickAsync(TimeSpan.FromMinutes(62));
        Assert.Equal(ScheduleRunStatus.Completed, (await LastRunAsync(instance)).Status);
    }

    [Fact]
    public async Task ABusyInstance_IsRetriedWithinTheWindow_ThenTheRunIsSkippedSayingWhy()
    {
        var instance = await _bed.AddInstanceAsync("p1", task: InstanceTask.Resizing);
        await ScheduleAsync(instance, window: 10);
        await TickAsync(TimeSpan.FromMinutes(61));
        var waiting = await LastRunAsync(instance);
        Assert.Equal(ScheduleRunStatus.Waiting, waiting.Status);
        Assert.Contains("is not currently available for an action to be performed (status was RESIZE)", waiting.Reason, StringComparison.Ordinal);
        Assert.Equal(T0.AddHours(1), await NextRunAsync(instance));

        await TickAsync(TimeSpan.FromMinutes(69));
        Assert.Equal(ScheduleRunStatus.Waiting, (await LastRunAsync(instance)).Status);
        await TickAsync(TimeSpan.FromMinutes(71));
        var skipped = await LastRunAsync(instance);
        Assert.Equal((ScheduleRunStatus.Skipped, T0.AddHours(1)), (skipped.Status, skipped.Due));
        Assert.StartsWith("The instance was busy until its window closed at 2026-12-01T04:10:00 UTC: Instance", skipped.Reason, StringComparison.Ordinal);
        Assert.Contains("(status was RESIZE)", skipped.Reason, StringComparison.Ordinal);
        Assert.Equal(T0.AddHours(2), await NextRunAsync(instance));
        Assert.Empty(await BackupsOfAsync(instance));
    }

    [Fact]
    public async Task ABusyInstance_ThatFreesUpWithinTheWindow_IsBackedUpThen()
    {
        var instance = await _bed.AddInstanceAsync("p1", task: InstanceTask.Rebooting);
        await ScheduleAsync(instance, window: 10);
        await TickAsync(TimeSpan.FromMinutes(61));
        await _bed.Instances.SetTaskAsync(instance.Id, InstanceTask.None, default);
        await TickAsync(TimeSpan.FromMinutes(65));
        var backup = Assert.Single(await BackupsOfAsync(instance));
        Assert.Equal((ScheduleRunStatus.Running, backup.Id), ((await LastRunAsync(instance)).Status, (await LastRunAsync(instance)).BackupId));
    }

    [Fact]
    public async Task RunsMissedWhileTheServerWasDown_AreOneSkippedRecord_AndOnlyTheLatestRuns_NeverABurst()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        await ScheduleAsync(instance);
        await TickAsync(TimeSpan.FromHours(5.5));

        var backup = Assert.Single(await BackupsOfAsync(instance));
        await using var connection = await _bed.Db.OpenAsync(default);
        var runs = connection.Query<(string Due, string Status, string? Reason)>(
            "SELECT due, status, reason FROM backup_schedule_runs WHERE instance_id = @Id ORDER BY due", new { instance.Id }).ToList();
        Assert.Equal(2, runs.Count);
        Assert.Equal(("2026-12-01T04:00:00.0000000Z", ScheduleRunStatus.Skipped), (runs[0].Due, runs[0].Status));
        Assert.Equal("hoard-server was not running (or not scheduling) until the next run was due at 2026-12-01T05:00:00 UTC. " +
                     "The runs due until 2026-12-01T08:00:00 UTC were missed too; only the last of them may still start.", runs[0].Reason);
        Assert.Equal(("2026-12-01T08:00:00.0000000Z", ScheduleRunStatus.Running), (runs[1].Due, runs[1].Status));
        Assert.Equal(backup.Id, (await LastRunAsync(instance)).BackupId);
        Assert.Equal(T0.AddHours(6), await NextRunAsync(instance));
    }

    [Fact]
    public async Task AMissedRun_WhoseWindowHasClosed_IsSkipped_AndNothingRunsUntilTheNextOne()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        await ScheduleAsync(instance, window: 10);
        await TickAsync(TimeSpan.FromHours(5.5));
        Assert.Empty(await BackupsOfAsync(instance));
        var last = await LastRunAsync(instance);
        Assert.Equal((ScheduleRunStatus.Skipped, T0.AddHours(5)), (last.Status, last.Due));
        Assert.Equal("hoard-server was not running (or not scheduling) until its window closed at 2026-12-01T08:10:00 UTC.", last.Reason);
        Assert.Equal(T0.AddHours(6), await NextRunAsync(instance));
    }

    [Fact]
    public async Task ARunClaimedBeforeACrash_IsNotRepeated_WhenItsBackupWasStarted_AndIsStarted_WhenItWasNot()
    {
        var started = await _bed.AddInstanceAsync("p1");
        var schedule = await ScheduleAsync(started);
        var notStarted = await _bed.AddInstanceAsync("p1");
        var other = await ScheduleAsync(notStarted);
        _time.Now = T0.AddHours(1).AddSeconds(5);
        var starter = new BackupStarter(_bed.Catalog, _bed.Backups, _bed.Strategies, _bed.Pipeline, _engine, _bed.OptionsWrapper, _time);
        var id = Guid.NewGuid().ToString();
        await _schedules.SaveRunAsync(new BackupScheduleRun
        {
            InstanceId = started.Id, ProjectId = "p1", Due = schedule.NextRun, Status = ScheduleRunStatus.Starting, BackupId = id,
        }, default);
        await starter.StartAsync(started, new BackupRequest("scheduled-before-crash", null, false, null, id), default);

        await _schedules.SaveRunAsync(new BackupScheduleRun
        {
            InstanceId = notStarted.Id, ProjectId = "p1", Due = other.NextRun, Status = ScheduleRunStatus.Starting,
            BackupId = Guid.NewGuid().ToString(),
        }, default);

        await TickAsync(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(10));
        Assert.Equal(id, Assert.Single(await BackupsOfAsync(started)).Id);
        Assert.Equal((ScheduleRunStatus.Running, id), ((await LastRunAsync(started)).Status, (await LastRunAsync(started)).BackupId));
        Assert.Equal(T0.AddHours(2), await NextRunAsync(started));
        var backup = Assert.Single(await BackupsOfAsync(notStarted));
        Assert.Equal(backup.Id, (await LastRunAsync(notStarted)).BackupId);
    }

    [Fact]
    public async Task ARunTheQuotaRefuses_FailsSayingSo_AndTheNextRunMovesOn()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        await _bed.Quotas.SetLimitsAsync("p1", new Dictionary<string, int> { [QuotaStore.Backups] = 0 }, default);
        await ScheduleAsync(instance);
        await TickAsync(TimeSpan.FromMinutes(61));
        var run = await LastRunAsync(instance);
        Assert.Equal((ScheduleRunStatus.Failed, "Quota exceeded for resources: ['backups']."), (run.Status, run.Reason));
        Assert.Equal(T0.AddHours(2), await NextRunAsync(instance));
        Assert.Equal(InstanceTask.None, (await _bed.Instances.GetAsync(instance.Id, default))!.Task);
    }

    [Fact]
    public async Task Retention_AfterAScheduledBackupCompletes_DeletesTheOldestAndItsData_ButNeverOneMadeByHand()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        await ScheduleAsync(instance, count: 2);
        var manual = await _bed.AddCompletedBackupAsync(instance, [1, 2, 3]);
        var scheduled = new List<BackupRecord>();
        for (var hour = 1; hour <= 3; hour++)
        {
            await TickAsync(TimeSpan.FromHours(hour) + TimeSpan.FromSeconds(1));
            var backup = (await BackupsOfAsync(instance)).Single(b => b.Status == BackupStatus.New);
            await CompleteAsync(backup, instance);
            scheduled.Add(backup);
            await TickAsync(TimeSpan.FromHours(hour) + TimeSpan.FromSeconds(2));
        }

        var left = (await BackupsOfAsync(instance)).Select(b => b.Id).ToHashSet();
        Assert.Equal(new HashSet<string> { manual.Id, scheduled[1].Id, scheduled[2].Id }, left);
        Assert.False(File.Exists(StoredPath(scheduled[0])), "the pruned backup's stored data is still there");
        Assert.True(File.Exists(StoredPath(scheduled[2])));
        Assert.True(File.Exists(StoredPath(manual)));
        Assert.Null(await _bed.Backups.GetAsync(scheduled[0].Id, default));
    }

    [Fact]
    public async Task Retention_ByDays_PrunesHourly_EvenWithoutNewRuns_AndAfterTheInstanceIsDeleted()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        await ScheduleAsync(instance, intervalMinutes: 60 * 24, count: null, days: 2);
        await TickAsync(TimeSpan.FromDays(1));
        var backup = Assert.Single(await BackupsOfAsync(instance));
        await CompleteAsync(backup, instance);
        await TickAsync(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        await _bed.Instances.MarkDeletedAsync(instance.Id, default);

        var scheduler = Scheduler();
        _time.Now = T0 + TimeSpan.FromDays(3) - TimeSpan.FromMinutes(10);
        await scheduler.TickAsync(default);
        Assert.NotNull(await _bed.Backups.GetAsync(backup.Id, default));
        Assert.Equal(T0.AddDays(2), await NextRunAsync(instance));

        // Two days old now, but the last pass was only 20 minutes ago.
        _time.Now = T0 + TimeSpan.FromDays(3) + TimeSpan.FromMinutes(10);
        await scheduler.TickAsync(default);
        Assert.NotNull(await _bed.Backups.GetAsync(backup.Id, default));
        _time.Now = T0 + TimeSpan.FromDays(3) + TimeSpan.FromMinutes(51);
        await scheduler.TickAsync(default);
        Assert.Null(await _bed.Backups.GetAsync(backup.Id, default));
        Assert.False(File.Exists(StoredPath(backup)));
        Assert.Null(await _schedules.GetAsync(instance.Id, default));
    }

    [Fact]
    public async Task ADisabledSchedule_OrOneOfADeletedInstance_DoesNotRun()
    {
        var disabled = await _bed.AddInstanceAsync("p1");
        var schedule = await ScheduleAsync(disabled);
        schedule.Enabled = false;
        await _schedules.PutAsync(schedule, default);
        var deleted = await _bed.AddInstanceAsync("p1");
        await ScheduleAsync(deleted);
        await _bed.Instances.MarkDeletedAsync(deleted.Id, default);

        await TickAsync(TimeSpan.FromHours(3));
        Assert.Empty(await BackupsOfAsync(disabled));
        Assert.Empty(await BackupsOfAsync(deleted));
    }

    [Fact]
    public async Task AnIncrementalSchedule_BuildsOnTheLatestBackup_UntilTheChainHoldsCount_ThenTakesAFullOne()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var schedule = await ScheduleAsync(instance, count: 3);
        schedule.Incremental = true;
        await _schedules.PutAsync(schedule, default);
        var parents = new List<string?>();
        for (var hour = 1; hour <= 5; hour++)
        {
            await TickAsync(TimeSpan.FromHours(hour) + TimeSpan.FromSeconds(1));
            var backup = (await BackupsOfAsync(instance)).Single(b => b.Status == BackupStatus.New);
            parents.Add(backup.ParentId is null ? null : (await BackupsOfAsync(instance)).FindIndex(b => b.Id == backup.ParentId).ToString());
            await CompleteAsync(backup, instance);
        }

        // Newest first in the list: the parent of a new backup is the one just before it (index 1).
        Assert.Equal([null, "1", "1", null, "1"], parents);
    }
}
