using System.Text;
using Hoard.Contracts.Guest;

namespace Hoard.Guest.DatastoreLogs;

/// <summary>
/// Reads a log file from a byte position, whole lines only, secrets redacted. A file shorter than the position was
/// rotated or rewritten since (a restart): reading starts again at its beginning.
/// </summary>
internal static class LogFileReader
{
    public static long Size(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    /// <param name="keep">Which lines to return (all when null); positions still count every byte read.</param>
    public static async Task<GuestLogChunk> ReadAsync(string path, long from, int maxBytes, Func<IReadOnlyList<string>, IEnumerable<string>>? keep,
        CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
            return new GuestLogChunk("", 0, 0, 0, 0);

        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var end = file.Length;
        var start = from > end || from < 0 ? 0 : from;
        file.Position = start;
        var buffer = new byte[(int)Math.Min(maxBytes, end - start)];
        await file.ReadExactlyAsync(buffer, cancellationToken);
        var length = WholeLines(buffer);
        var lines = SplitLines(Encoding.UTF8.GetString(buffer, 0, length));
        var kept = LogRedaction.Redact(keep is null ? lines : [.. keep(lines)]);
        var content = kept.Count == 0 ? "" : string.Join('\n', kept) + "\n";
        return new GuestLogChunk(content, start, start + length, end, kept.Count);
    }

    /// <summary>Up to the last newline, so that a line being written is read whole next time; all of a buffer without one.</summary>
    internal static int WholeLines(ReadOnlySpan<byte> buffer)
    {
        var last = buffer.LastIndexOf((byte)'\n');
        return last < 0 ? buffer.Length : last + 1;
    }

    internal static IReadOnlyList<string> SplitLines(string text) =>
        text.Length == 0 ? [] : text.TrimEnd('\n').Split('\n');
}
