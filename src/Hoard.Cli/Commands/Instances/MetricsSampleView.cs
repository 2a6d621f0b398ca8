using System.Globalization;
using System.Text.Json.Nodes;
using Hoard.Cli.Output;

namespace Hoard.Cli.Commands.Instances;

/// <summary>
/// A sample of <c>GET /instances/{id}/metrics</c> as people read it in a table: bytes in binary units, percentages,
/// volume use against its size. A value the guest did not report stays empty.
/// </summary>
internal static class MetricsSampleView
{
    public static readonly IReadOnlyList<Column> Columns =
    [
        new("Time", "time"), new("Connections", "connections"), new("Queries/s", "queries_per_second"), new("CPU", "cpu"),
        new("Memory", "memory"), new("Volume used", "volume_used"), new("Replication lag", "replication_lag"),
    ];

    public static JsonObject ForPeople(JsonObject sample) => new()
    {
        ["time"] = sample["time"]?.ToString(),
        ["connections"] = Long(sample, "connections")?.ToString(CultureInfo.InvariantCulture),
        ["queries_per_second"] = Number(sample, "queries_per_second", "0.#", ""),
        ["cpu"] = Number(sample, "cpu_percent", "0.#", " %"),
        ["memory"] = Long(sample, "memory_bytes") is { } memory ? ByteSize.Text(memory) : null,
        ["volume_used"] = VolumeUsed(Long(sample, "volume_used_bytes"), Long(sample, "volume_size_bytes")),
        ["replication_lag"] = Number(sample, "replication_lag_seconds", "0.#", " s"),
    };

    private static string? VolumeUsed(long? used, long? size) => (used, size) switch
    {
        ({ } u, { } s and > 0) => string.Create(CultureInfo.InvariantCulture, $"{ByteSize.Text(u)} of {ByteSize.Text(s)} ({100.0 * u / s:0} %)"),
        ({ } u, _) => ByteSize.Text(u),
        _ => null,
    };

    private static string? Number(JsonObject sample, string key, string format, string unit) =>
        sample[key] is JsonValue v && v.TryGetValue<double>(out var d) ? d.ToString(format, CultureInfo.InvariantCulture) + unit : null;

    private static long? Long(JsonObject sample, string key) =>
        sample[key] is JsonValue v && v.TryGetValue<long>(out var l) ? l : null;
}
