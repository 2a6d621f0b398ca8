using Hoard.Contracts.Conductor;

namespace Hoard.Guest;

/// <summary>
/// Measures the free space of the volume the database server writes to. The volume counts as full when less than
/// 1% of it (at most 64 MB) is free: writes fail with ENOSPC or are about to. It counts as full until twice that is
/// free again, so a volume hovering at the edge does not flap between full and not full on every heartbeat.
/// </summary>
internal sealed class VolumeMonitor
{
    public const long MaxFullThresholdBytes = 64L << 20;

    private readonly string _path;
    private readonly Func<string, (long Size, long Available)> _measure;
    private bool _full;

    /// <param name="path">The volume's mount point (or any directory on it).</param>
    /// <param name="measure">statvfs of the path: its filesystem's size and the bytes an unprivileged writer can still use.</param>
    public VolumeMonitor(string path, Func<string, (long Size, long Available)>? measure = null)
    {
        _path = path;
        _measure = measure ?? StatVfs;
    }

    /// <summary>Free space below this makes a volume of <paramref name="sizeBytes"/> full.</summary>
    public static long FullBelow(long sizeBytes) => Math.Min(sizeBytes / 100, MaxFullThresholdBytes);

    /// <summary>Measures now; null when the volume cannot be measured (not there yet, or gone).</summary>
    public VolumeReport? Measure()
    {
        (long Size, long Available) measured;
        try
        {
            measured = _measure(_path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return Assess(measured.Size, measured.Available);
    }

    /// <summary>The verdict for a measurement, given the one before it (the hysteresis).</summary>
    public VolumeReport Assess(long sizeBytes, long availableBytes)
    {
        var threshold = FullBelow(sizeBytes);
        _full = _full ? availableBytes < 2 * threshold : availableBytes < threshold;
        return new VolumeReport(sizeBytes, availableBytes, _full);
    }

    /// <summary>DriveInfo on Linux is statvfs of the path it is given: f_blocks and f_bavail times the block size.</summary>
    private static (long Size, long Available) StatVfs(string path)
    {
        if (!Directory.Exists(path))
            throw new DirectoryNotFoundException($"The volume {path} is not there.");
        var drive = new DriveInfo(path);
        return (drive.TotalSize, drive.AvailableFreeSpace);
    }
}
