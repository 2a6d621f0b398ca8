namespace Hoard.Core.Backups;

/// <summary>
/// When an instance is backed up by itself, and how long those backups are kept. Exactly one of <see cref="Cron"/> and
/// <see cref="IntervalMinutes"/> is set; at least one of <see cref="RetentionCount"/> and <see cref="RetentionDays"/>.
/// </summary>
public sealed class BackupSchedule
{
    private string? _cronText;
    private CronExpression? _cron;

    public required string InstanceId { get; set; }
    public required string ProjectId { get; set; }

    /// <summary>A five-field cron expression, in UTC.</summary>
    public string? Cron
    {
        get => _cronText;
        set => (_cronText, _cron) = (value, null);
    }

    /// <summary>Minutes between runs, counted from the first run (which is this long after the schedule was set).</summary>
    public int? IntervalMinutes { get; set; }

    /// <summary>How late after its time a run may still start; null: until the next run is due.</summary>
    public int? WindowMinutes { get; set; }

    /// <summary>Keep the newest this many completed scheduled backups.</summary>
    public int? RetentionCount { get; set; }

    /// <summary>Delete scheduled backups older than this many days.</summary>
    public int? RetentionDays { get; set; }

    public bool Incremental { get; set; }
    public bool Enabled { get; set; } = true;

    /// <summary>When the next run is due; advanced once a run has started or been given up.</summary>
    public DateTimeOffset NextRun { get; set; }
    public DateTimeOffset Created { get; set; }
    public DateTimeOffset Updated { get; set; }

    private CronExpression? ParsedCron => Cron is null ? null : _cron ??= CronExpression.Parse(Cron);

    /// <summary>The run that follows the one due at <paramref name="due"/>.</summary>
    public DateTimeOffset Following(DateTimeOffset due) =>
        ParsedCron is { } cron ? cron.Next(due) : due + TimeSpan.FromMinutes(IntervalMinutes!.Value);

    /// <summary>The first run after <paramref name="now"/> for a schedule set at <paramref name="now"/>.</summary>
    public DateTimeOffset FirstRun(DateTimeOffset now) => Following(now);

    /// <summary>The latest run of the series through <paramref name="due"/> that is not after <paramref name="now"/>.</summary>
    public DateTimeOffset LatestDue(DateTimeOffset due, DateTimeOffset now)
    {
        if (IntervalMinutes is { } minutes)
        {
            var interval = TimeSpan.FromMinutes(minutes);
            return now <= due ? due : due + interval * Math.Floor((now - due) / interval);
        }

        // Bounded: one step per missed run; a cron of every minute over a month of downtime is 43 200 cheap steps.
        var latest = due;
        for (var next = Following(latest); next <= now; next = Following(next))
        {
            latest = next;
        }

        return latest;
    }

    /// <summary>Until when the run due at <paramref name="due"/> may start: its window, and never past the next run.</summary>
    public DateTimeOffset WindowEnd(DateTimeOffset due)
    {
        var following = Following(due);
        return WindowMinutes is { } window && due + TimeSpan.FromMinutes(window) < following ? due + TimeSpan.FromMinutes(window) : following;
    }

    public RetentionPolicy Retention => new(RetentionCount, RetentionDays);

    /// <summary>
    /// For an incremental schedule: whether the next backup is a full one, starting a new chain. Retention deletes a chain
    /// only whole, so a chain that grew forever would never be deleted; it ends once it holds
    /// <see cref="RetentionCount"/> backups or its full backup is <see cref="RetentionDays"/> old.
    /// </summary>
    /// <param name="chainLength">Backups in the chain the next one would build on, its full backup included.</param>
    public bool StartsNewChain(int chainLength, DateTimeOffset fullCreated, DateTimeOffset now) =>
        !Incremental || (RetentionCount is { } count && chainLength >= count) ||
        (RetentionDays is { } days && now - fullCreated >= TimeSpan.FromDays(days));

    /// <summary>Whether the timing (not the retention or the window) is the same as <paramref name="other"/>'s.</summary>
    public bool SameTimingAs(BackupSchedule other) => Cron == other.Cron && IntervalMinutes == other.IntervalMinutes;
}
