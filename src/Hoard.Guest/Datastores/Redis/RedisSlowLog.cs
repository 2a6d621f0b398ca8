using System.Globalization;
using System.Text;
using Hoard.Contracts.Guest;
using Hoard.Guest.DatastoreLogs;

namespace Hoard.Guest.Datastores.Redis;

/// <summary>
/// Redis's slow log, which lives in the server's memory (<c>SLOWLOG GET</c>): positions are entry ids, so a publish sends
/// the entries added since the last one, one line each. Entries beyond <c>slowlog-max-len</c> and those of a server that
/// restarted since are gone before they can be published. Switched with <c>slowlog-log-slower-than</c> (−1 is off).
/// </summary>
internal static class RedisSlowLog
{
    public const string ThresholdKey = "slowlog-log-slower-than";

    /// <summary>Redis's own default, in microseconds, for turning the log on when it was off.</summary>
    public const long DefaultThresholdMicros = 10_000;

    public static bool IsEnabled(RedisConnection connection) => Threshold(connection) >= 0;

    public static void SetEnabled(RedisConnection connection, bool enabled)
    {
        var current = Threshold(connection);
        var threshold = !enabled ? -1 : current >= 0 ? current : DefaultThresholdMicros;
        connection.Execute("CONFIG", "SET", ThresholdKey, threshold.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>One past the newest entry's id; 0 when the log is empty.</summary>
    public static long End(RedisConnection connection) =>
        Entries(connection).Select(e => e.Id + 1).DefaultIfEmpty(0).Max();

    public static GuestLogChunk Read(RedisConnection connection, long from, int maxBytes)
    {
        var entries = Entries(connection).OrderBy(e => e.Id).ToList();
        var end = entries.Count == 0 ? 0 : entries[^1].Id + 1;
        var start = from > end || from < 0 ? 0 : from;
        var lines = new List<string>();
        var bytes = 0;
        var next = start;
        foreach (var entry in entries.Where(e => e.Id >= start))
        {
            var line = entry.Format();
            bytes += Encoding.UTF8.GetByteCount(line) + 1;
            if (bytes > maxBytes && lines.Count > 0)
                break;
            lines.Add(line);
            next = entry.Id + 1;
        }

        return new GuestLogChunk(lines.Count == 0 ? "" : string.Join('\n', lines) + "\n", start, next, end, lines.Count);
    }

    private static long Threshold(RedisConnection connection) =>
        long.Parse(connection.Execute("CONFIG", "GET", ThresholdKey).AsArray()[1].AsString(), CultureInfo.InvariantCulture);

    private static IEnumerable<RedisSlowLogEntry> Entries(RedisConnection connection) =>
        connection.Execute("SLOWLOG", "GET", "-1").AsArray().Select(Parse);

    /// <summary><c>[id, unix time, microseconds, [arguments], client address, client name]</c>.</summary>
    internal static RedisSlowLogEntry Parse(RedisValue entry)
    {
        var fields = entry.AsArray();
        return new RedisSlowLogEntry(
            fields[0].AsInteger(),
            DateTimeOffset.FromUnixTimeSeconds(fields[1].AsInteger()),
            fields[2].AsInteger(),
            [.. fields[3].AsArray().Select(a => a.AsString())],
            fields.Count > 4 ? fields[4].AsString() : "");
    }
}

/// <summary>One slow log entry, as one published line with its secrets masked.</summary>
internal sealed record RedisSlowLogEntry(long Id, DateTimeOffset Time, long DurationMicros, IReadOnlyList<string> Arguments, string Client)
{
    /// <summary>Commands whose arguments after the first <c>n</c> may carry a password.</summary>
    private static readonly Dictionary<string, int> SecretsAfter = new(StringComparer.OrdinalIgnoreCase)
    {
        ["AUTH"] = 1, ["HELLO"] = 2, ["MIGRATE"] = 6, ["ACL"] = 2, ["CONFIG"] = 3,
    };

    public string Format() =>
        $"{Time.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ} id={Id} duration_us={DurationMicros} client={Client} command: " +
        LogRedaction.Redact(string.Join(' ', Masked()));

    private IEnumerable<string> Masked()
    {
        var keep = Arguments.Count > 0 && SecretsAfter.TryGetValue(Arguments[0], out var n) ? n : Arguments.Count;
        return Arguments.Select((a, i) => i < keep ? a : LogRedaction.Mask);
    }
}
