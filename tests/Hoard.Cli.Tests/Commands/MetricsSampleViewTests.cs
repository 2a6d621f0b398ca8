using System.Text.Json.Nodes;
using Hoard.Cli.Commands.Instances;

namespace Hoard.Cli.Tests.Commands;

public sealed class MetricsSampleViewTests
{
    [Fact]
    public void ForPeople_GivesUnits_AndVolumeUseAgainstItsSize()
    {
        var sample = JsonNode.Parse("""
            {"time": "2026-12-01T04:00:00Z", "connections": 3, "queries_per_second": 12.54, "replication_lag_seconds": 0.4,
             "volume_used_bytes": 268435456, "volume_size_bytes": 1073741824, "memory_bytes": 327577190, "cpu_percent": 1.5}
            """)!.AsObject();
        var shown = MetricsSampleView.ForPeople(sample);
        Assert.Equal("2026-12-01T04:00:00Z", shown["time"]!.ToString());
        Assert.Equal("3", shown["connections"]!.ToString());
        Assert.Equal("12.5", shown["queries_per_second"]!.ToString());
        Assert.Equal("1.5 %", shown["cpu"]!.ToString());
        Assert.Equal("312.4 MiB", shown["memory"]!.ToString());
        Assert.Equal("256.0 MiB of 1.0 GiB (25 %)", shown["volume_used"]!.ToString());
        Assert.Equal("0.4 s", shown["replication_lag"]!.ToString());
    }

    [Fact]
    public void ForPeople_LeavesWhatTheGuestDidNotReportEmpty()
    {
        var sample = JsonNode.Parse("""
            {"time": "2026-12-01T04:00:00Z", "connections": null, "queries_per_second": null, "replication_lag_seconds": null,
             "volume_used_bytes": 1024, "volume_size_bytes": null, "memory_bytes": null, "cpu_percent": null}
            """)!.AsObject();
        var shown = MetricsSampleView.ForPeople(sample);
        Assert.Null(shown["connections"]);
        Assert.Null(shown["queries_per_second"]);
        Assert.Null(shown["memory"]);
        Assert.Null(shown["replication_lag"]);
        Assert.Equal("1.0 KiB", shown["volume_used"]!.ToString());
    }
}
