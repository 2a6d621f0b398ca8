namespace Hoard.Core.PointInTime;

/// <summary>A stretch of time every second of which an instance can be restored to.</summary>
public sealed record RecoveryInterval(DateTimeOffset From, DateTimeOffset To);

/// <summary>What a point-in-time restore replays: a full backup, then these archived WAL files, stopping at the target.</summary>
/// <param name="Files">History files first, then the segments from the backup's start in order.</param>
public sealed record RecoveryPlan(string BackupId, DateTimeOffset Target, IReadOnlyList<string> Files);

/// <summary>
/// Which times an instance can be restored to. A full backup reaches from the moment it was consistent to the end of the
/// newest WAL segment archived without a gap since the backup's first one; the window is the union of what its backups
/// reach. Times are exact inside; <see cref="Shown"/> rounds them inwards to whole seconds.
/// </summary>
public sealed class RecoveryWindow
{
    private readonly IReadOnlyList<Reach> _reaches;
    private readonly IReadOnlyList<WalFileRecord> _histories;

    private RecoveryWindow(IReadOnlyList<Reach> reaches, IReadOnlyList<WalFileRecord> histories)
    {
        _reaches = reaches;
        _histories = histories;
        Intervals = Merge(reaches);
    }

    /// <summary>The recoverable stretches, oldest first, overlapping ones merged.</summary>
    public IReadOnlyList<RecoveryInterval> Intervals { get; }

    /// <summary>The newest stretch in whole seconds (earliest rounded up, latest down), or null when there is none.</summary>
    public RecoveryInterval? Shown => Intervals.Select(Round).LastOrDefault(i => i is not null);

    public static RecoveryWindow Compute(IEnumerable<RecoverableBackup> backups, IEnumerable<WalFileRecord> files)
    {
        var all = files.ToList();
        var segments = all.Where(f => f.Kind == WalFileKind.Segment && f.Segment is not null)
            .GroupBy(f => (f.Timeline, f.Segment!.Value))
            .ToDictionary(g => g.Key, g => g.First());
        var reaches = new List<Reach>();
        foreach (var backup in backups)
        {
            var chain = new List<WalFileRecord>();
            var end = DateTimeOffset.MinValue;
            for (var number = backup.StartSegment; segments.TryGetValue((backup.Timeline, number), out var segment); number++)
            {
                chain.Add(segment);
                end = segment.EndTime > end ? segment.EndTime : end;
            }

            if (chain.Count > 0 && end >= backup.ConsistentAt)
                reaches.Add(new Reach(backup, new RecoveryInterval(backup.ConsistentAt, end), chain));
        }

        var histories = all.Where(f => f.Kind == WalFileKind.History).OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
        return new RecoveryWindow(reaches, histories);
    }

    /// <summary>
    /// How to restore to <paramref name="target"/>: from the newest backup that reaches it (or <paramref name="backupId"/>
    /// when given), replaying the segments up to the first one written until at least the target, and one more when
    /// archived (a commit stamped just before a segment switch can land in the next segment). Null when none reaches it.
    /// </summary>
    public RecoveryPlan? Plan(DateTimeOffset target, string? backupId = null)
    {
        var reach = _reaches
            .Where(r => r.Interval.From <= target && target <= r.Interval.To && (backupId is null || r.Backup.BackupId == backupId))
            .MaxBy(r => r.Interval.From);
        if (reach is null)
            return null;
        var last = reach.Chain.FindIndex(s => s.EndTime >= target);
        var count = Math.Min(reach.Chain.Count, last + 2);
        var files = _histories.Where(h => h.Timeline <= reach.Backup.Timeline).Select(h => h.Name)
            .Concat(reach.Chain.Take(count).Select(s => s.Name));
        return new RecoveryPlan(reach.Backup.BackupId, target, [.. files]);
    }

    private static List<RecoveryInterval> Merge(IEnumerable<Reach> reaches)
    {
        var merged = new List<RecoveryInterval>();
        foreach (var interval in reaches.Select(r => r.Interval).OrderBy(i => i.From))
        {
            if (merged.Count > 0 && interval.From <= merged[^1].To)
                merged[^1] = merged[^1] with { To = interval.To > merged[^1].To ? interval.To : merged[^1].To };
            else
                merged.Add(interval);
        }

        return merged;
    }

    private static RecoveryInterval? Round(RecoveryInterval interval)
    {
        var from = new DateTimeOffset((interval.From.UtcTicks + TimeSpan.TicksPerSecond - 1) / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, TimeSpan.Zero);
        var to = new DateTimeOffset(interval.To.UtcTicks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, TimeSpan.Zero);
        return from <= to ? new RecoveryInterval(from, to) : null;
    }

    private sealed record Reach(RecoverableBackup Backup, RecoveryInterval Interval, List<WalFileRecord> Chain);
}
