using System.Globalization;
using Hoard.Core.Backups;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Hoard.Server.Trove;
using Microsoft.Extensions.Options;

namespace Hoard.Server.TaskManager;

/// <summary>
/// Runs instances' backup schedules. Every <see cref="HoardOptions.BackupSchedulerIntervalSeconds"/>: a run whose time has
/// come starts a backup through <see cref="BackupStarter"/> (as <c>POST /backups</c> does); a busy instance is tried
/// again at every tick until the run's window closes, then the run is recorded as skipped with the reason. Runs missed
/// while hoard-server was down are one skipped run, never a burst: only the latest starts, and only within its window.
/// A run is claimed in the state DB before its backup starts, so a restart neither repeats nor loses it. When a
/// scheduled backup has ended, and every hour, retention prunes the instance's scheduled backups.
/// </summary>
internal sealed partial class BackupScheduler(
    BackupScheduleStore schedules,
    InstanceStore instances,
    BackupStore backups,
    BackupStarter starter,
    ScheduledBackupPruner pruner,
    IOptions<HoardOptions> options,
    TimeProvider time,
    ILogger<BackupScheduler> logger) : BackgroundService
{
    private static readonly TimeSpan PruneInterval = TimeSpan.FromHours(1);
    private DateTimeOffset _lastPruned = DateTimeOffset.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(0.1, options.Value.BackupSchedulerIntervalSeconds)), time);
        try
        {
            // At once too: a run missed while the server was down starts now if its window is still open.
            do
            {
                await Guarded(() => TickAsync(stoppingToken), "ticking");
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
    }

    internal async Task TickAsync(CancellationToken cancellationToken)
    {
        await FinishEndedRunsAsync(cancellationToken);
        foreach (var schedule in await schedules.ListDueAsync(time.GetUtcNow(), cancellationToken))
        {
            await Guarded(() => RunAsync(schedule, cancellationToken), $"running the schedule of instance {schedule.InstanceId}");
        }

        if (time.GetUtcNow() - _lastPruned >= PruneInterval)
        {
            _lastPruned = time.GetUtcNow();
            foreach (var schedule in await schedules.ListAsync(cancellationToken))
            {
                await Guarded(() => pruner.PruneAsync(schedule.InstanceId, cancellationToken), $"pruning the backups of instance {schedule.InstanceId}");
            }
        }
    }

    /// <summary>Runs whose backup ended take its outcome, and retention runs for their instance.</summary>
    private async Task FinishEndedRunsAsync(CancellationToken cancellationToken)
    {
        foreach (var ended in await schedules.ListEndedRunsAsync(cancellationToken))
        {
            var (status, reason) = ended.BackupStatus switch
            {
                BackupStatus.Completed => (ScheduleRunStatus.Completed, null),
                null => (ScheduleRunStatus.Failed, "The backup was deleted before it ended."),
                _ => (ScheduleRunStatus.Failed, ended.Fault ?? $"The backup ended {ended.BackupStatus}."),
            };
            await SaveAsync(ended.InstanceId, ended.ProjectId, ended.Due, status, ended.BackupId, reason, cancellationToken);
            await Guarded(() => pruner.PruneAsync(ended.InstanceId, cancellationToken), $"pruning the backups of instance {ended.InstanceId}");
        }
    }

    private async Task RunAsync(BackupSchedule schedule, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var due = schedule.NextRun;
        var run = await schedules.GetRunAsync(schedule.InstanceId, due, cancellationToken);
        if (run is { Status: ScheduleRunStatus.Starting, BackupId: { } claimed } && await backups.GetAsync(claimed, cancellationToken) is not null)
        {
            // Started just before a restart; only its record was missing.
            await SaveAsync(schedule, due, ScheduleRunStatus.Running, claimed, null, cancellationToken);
            run = await schedules.GetRunAsync(schedule.InstanceId, due, cancellationToken);
        }

        if (run is { Status: not (ScheduleRunStatus.Starting or ScheduleRunStatus.Waiting) })
        {
            await schedules.TryAdvanceAsync(schedule.InstanceId, due, schedule.Following(schedule.LatestDue(due, now)), cancellationToken);
            return;
        }

        var latest = schedule.LatestDue(due, now);
        if (latest > due)
        {
            var following = schedule.Following(due);
            var reason = Missed(run, $"the next run was due at {Views.Time(following)} UTC") + (latest > following
                ? $" The runs due until {Views.Time(latest)} UTC were missed too; only the last of them may still start."
                : "");
            await SkipAsync(schedule, due, reason, cancellationToken);
            if (!await schedules.TryAdvanceAsync(schedule.InstanceId, due, latest, cancellationToken))
            {
                return;
            }

            (due, run) = (latest, null);
        }

        var windowEnd = schedule.WindowEnd(due);
        if (now > windowEnd)
        {
            await SkipAsync(schedule, due, Missed(run, $"its window closed at {Views.Time(windowEnd)} UTC"), cancellationToken);
            await schedules.TryAdvanceAsync(schedule.InstanceId, due, schedule.Following(due), cancellationToken);
            return;
        }

        await StartAsync(schedule, due, run, cancellationToken);
    }

    private async Task StartAsync(BackupSchedule schedule, DateTimeOffset due, BackupScheduleRun? run, CancellationToken cancellationToken)
    {
        if (await instances.GetAsync(schedule.InstanceId, cancellationToken) is not { } instance)
        {
            return; // deleted meanwhile; its schedule no longer runs
        }

        var id = Guid.NewGuid().ToString();
        await SaveAsync(schedule, due, ScheduleRunStatus.Starting, id, run?.Reason, cancellationToken);
        var now = time.GetUtcNow();
        try
        {
            var request = new BackupRequest($"scheduled-{now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}",
                $"By the instance's backup schedule, for the run due at {Views.Time(due)} UTC.",
                !await StartsNewChainAsync(schedule, instance.Id, cancellationToken), null, id);
            await starter.StartAsync(instance, request, cancellationToken);
        }
        catch (TroveFault busy) when (busy.Code == 422)
        {
            if (run?.Status != ScheduleRunStatus.Waiting)
            {
                LogWaiting(instance.Id, Views.Time(due), busy.Message);
            }

            await SaveAsync(schedule, due, ScheduleRunStatus.Waiting, null, busy.Message, cancellationToken);
            return;
        }
        catch (TroveFault refused)
        {
            LogNotStarted(instance.Id, Views.Time(due), refused.Message);
            await SaveAsync(schedule, due, ScheduleRunStatus.Failed, null, refused.Message, cancellationToken);
            await schedules.TryAdvanceAsync(schedule.InstanceId, due, schedule.Following(due), cancellationToken);
            return;
        }

        await SaveAsync(schedule, due, ScheduleRunStatus.Running, id, null, cancellationToken);
        await schedules.TryAdvanceAsync(schedule.InstanceId, due, schedule.Following(due), cancellationToken);
        LogStarted(id, instance.Id, Views.Time(due));
    }

    /// <summary>Whether the next scheduled backup must be a full one (<see cref="BackupSchedule.StartsNewChain"/>).</summary>
    private async Task<bool> StartsNewChainAsync(BackupSchedule schedule, string instanceId, CancellationToken cancellationToken)
    {
        if (!schedule.Incremental || await backups.FindLatestCompletedAsync(instanceId, cancellationToken) is not { } head)
        {
            return true;
        }

        var (length, full) = (1, head);
        while (full.ParentId is { } parentId && await backups.GetAsync(parentId, cancellationToken) is { } parent)
        {
            (length, full) = (length + 1, parent);
        }

        return schedule.StartsNewChain(length, full.Created, time.GetUtcNow());
    }

    private static string Missed(BackupScheduleRun? run, string until) => run is { Status: ScheduleRunStatus.Waiting, Reason: { } busy }
        ? $"The instance was busy until {until}: {busy}"
        : $"hoard-server was not running (or not scheduling) until {until}.";

    private Task SkipAsync(BackupSchedule s, DateTimeOffset due, string reason, CancellationToken cancellationToken)
    {
        LogSkipped(s.InstanceId, Views.Time(due), reason);
        return SaveAsync(s, due, ScheduleRunStatus.Skipped, null, reason, cancellationToken);
    }

    private Task SaveAsync(BackupSchedule s, DateTimeOffset due, string status, string? backupId, string? reason, CancellationToken cancellationToken) =>
        SaveAsync(s.InstanceId, s.ProjectId, due, status, backupId, reason, cancellationToken);

    private Task SaveAsync(string instanceId, string projectId, DateTimeOffset due, string status, string? backupId, string? reason,
        CancellationToken cancellationToken) =>
        schedules.SaveRunAsync(new BackupScheduleRun
        {
            InstanceId = instanceId, ProjectId = projectId, Due = due, Status = status, BackupId = backupId, Reason = reason,
        }, cancellationToken);

    private async Task Guarded(Func<Task> work, string what)
    {
        try
        {
            await work();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(e, what);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Scheduled backup {BackupId} of instance {InstanceId} started (due {Due} UTC)")]
    private partial void LogStarted(string backupId, string instanceId, string due);

    [LoggerMessage(Level = LogLevel.Information, Message = "Scheduled backup of instance {InstanceId} due {Due} UTC waits: {Reason}")]
    private partial void LogWaiting(string instanceId, string due, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scheduled backup of instance {InstanceId} due {Due} UTC was skipped: {Reason}")]
    private partial void LogSkipped(string instanceId, string due, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scheduled backup of instance {InstanceId} due {Due} UTC was not started: {Reason}")]
    private partial void LogNotStarted(string instanceId, string due, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Backup scheduler failed {What}")]
    private partial void LogFailed(Exception e, string what);
}
