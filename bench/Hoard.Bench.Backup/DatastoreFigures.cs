namespace Hoard.Bench.Backup;

/// <summary>What one datastore's part of the run measured.</summary>
internal sealed class DatastoreFigures(BackupDatastore datastore)
{
    public BackupDatastore Datastore => datastore;

    public string? LoadAtStart { get; set; }

    public string? LoadAtEnd { get; set; }

    public long Rows { get; set; }

    public TimeSpan LoadTime { get; set; }

    /// <summary>The data directory's bytes after the load (PostgreSQL: without pg_wal), which every throughput is of.</summary>
    public long DataBytes { get; set; }

    public List<TimeSpan> BackupByHand { get; } = [];

    /// <summary>By hand into a file on the host's disk, then <c>sync FILE</c>: what keeping the stream costs (not in the ratio).</summary>
    public List<TimeSpan> BackupByHandToDisk { get; } = [];

    public List<TimeSpan> BackupHoard { get; } = [];

    /// <summary>Per Hoard run, where its time went (guest.log and server.log).</summary>
    public List<string> BackupTimelines { get; } = [];

    public List<string> RestoreTimelines { get; } = [];

    /// <summary>What Hoard stored per backup (compressed, encrypted), from the backup's <c>size</c>.</summary>
    public List<double> StoredGb { get; } = [];

    /// <summary>The by-hand compressed stream (of the last run) the restore baseline starts from.</summary>
    public long ByHandStreamBytes { get; set; }

    public List<TimeSpan> RestoreByHand { get; } = [];

    public List<TimeSpan> RestoreHoard { get; } = [];
}
