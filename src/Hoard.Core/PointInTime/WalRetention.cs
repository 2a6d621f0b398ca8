namespace Hoard.Core.PointInTime;

/// <summary>Which archived WAL files no restore can use any more.</summary>
public static class WalRetention
{
    /// <summary>
    /// Files older than every backup that could replay them: a segment (or its backup history or partial) is kept while a
    /// recoverable backup on its timeline starts at or before it, and every file archived after
    /// <paramref name="keepArchivedAfter"/> is kept, because a backup running now (not COMPLETED yet) may start in it.
    /// Timeline histories are kept: they are a few bytes and any restore may ask for them.
    /// </summary>
    public static IReadOnlyList<WalFileRecord> Unneeded(IEnumerable<RecoverableBackup> backups, IEnumerable<WalFileRecord> files,
        DateTimeOffset keepArchivedAfter)
    {
        var oldestStart = backups.GroupBy(b => (long)b.Timeline).ToDictionary(g => g.Key, g => g.Min(b => b.StartSegment));
        return
        [
            .. files.Where(f => f.Kind != WalFileKind.History && f.Archived <= keepArchivedAfter
                                && !(oldestStart.TryGetValue(f.Timeline, out var start) && f.Segment >= start)),
        ];
    }
}
