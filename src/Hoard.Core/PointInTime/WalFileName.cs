using System.Globalization;
using System.Text.RegularExpressions;
using Hoard.Core.Backups;

namespace Hoard.Core.PointInTime;

public enum WalFileKind
{
    /// <summary>A whole 16 MB segment, e.g. <c>000000010000000000000003</c>.</summary>
    Segment,

    /// <summary>A timeline's history, e.g. <c>00000002.history</c>, written when a restored server is promoted.</summary>
    History,

    /// <summary>A backup's history file (<c>…0003.00000028.backup</c>): where a backup started and ended.</summary>
    BackupHistory,

    /// <summary>The unfinished last segment of a timeline a promotion left (<c>….partial</c>).</summary>
    Partial,
}

/// <summary>
/// The name of an archived log file, parsed: a file PostgreSQL's <c>archive_command</c> hands over, or a closed MariaDB
/// binary log file (<c>binlog.000042</c>: a segment numbered 42 on timeline 0). PostgreSQL segment numbers assume the
/// default 16 MB segments (256 per log id), which every Hoard instance uses (initdb's default; the guest never changes it).
/// </summary>
public sealed partial record WalFileName(string Name, WalFileKind Kind, uint Timeline, long? Segment)
{
    public const int SegmentsPerLogId = 256;

    public static WalFileName? TryParse(string? name)
    {
        if (name is null)
            return null;
        if (SegmentPattern().Match(name) is { Success: true } segment)
            return SegmentNumber(segment.Groups[2].Value, segment.Groups[3].Value) is { } number
                ? new WalFileName(name, WalFileKind.Segment, Hex(segment.Groups[1].Value), number)
                : null;
        if (BinlogPattern().Match(name) is { Success: true } binlog)
            return new WalFileName(name, WalFileKind.Segment, 0, long.Parse(binlog.Groups[1].Value, CultureInfo.InvariantCulture));
        if (HistoryPattern().Match(name) is { Success: true } history)
            return new WalFileName(name, WalFileKind.History, Hex(history.Groups[1].Value), null);
        if (BackupHistoryPattern().Match(name) is { Success: true } backup)
            return new WalFileName(name, WalFileKind.BackupHistory, Hex(backup.Groups[1].Value),
                SegmentNumber(backup.Groups[2].Value, backup.Groups[3].Value));
        if (PartialPattern().Match(name) is { Success: true } partial)
            return new WalFileName(name, WalFileKind.Partial, Hex(partial.Groups[1].Value),
                SegmentNumber(partial.Groups[2].Value, partial.Groups[3].Value));
        return null;
    }

    /// <summary>The name of segment <paramref name="segment"/> on <paramref name="timeline"/>.</summary>
    public static string SegmentName(uint timeline, long segment) =>
        string.Create(CultureInfo.InvariantCulture, $"{timeline:X8}{segment / SegmentsPerLogId:X8}{segment % SegmentsPerLogId:X8}");

    /// <summary>Where the file is stored: next to the project's backups, one folder per instance ('.' is not allowed in keys).</summary>
    public string StorageKey(string projectId, string instanceId) => BackupKeys.Check($"{projectId}/wal/{instanceId}/{Name.Replace('.', '_')}");

    private static long? SegmentNumber(string logId, string segment)
    {
        var low = Hex(segment);
        return low < SegmentsPerLogId ? (long)Hex(logId) * SegmentsPerLogId + low : null;
    }

    private static uint Hex(string value) => uint.Parse(value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    [GeneratedRegex("^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})$")]
    private static partial Regex SegmentPattern();

    [GeneratedRegex(@"^binlog\.([0-9]{6,9})$")]
    private static partial Regex BinlogPattern();

    [GeneratedRegex(@"^([0-9A-F]{8})\.history$")]
    private static partial Regex HistoryPattern();

    [GeneratedRegex(@"^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})\.[0-9A-F]{8}\.backup$")]
    private static partial Regex BackupHistoryPattern();

    [GeneratedRegex(@"^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})\.partial$")]
    private static partial Regex PartialPattern();
}
