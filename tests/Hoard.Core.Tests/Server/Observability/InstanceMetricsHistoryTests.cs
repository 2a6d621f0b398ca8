using Hoard.Contracts.Conductor;
using Hoard.Contracts.Guest;
using Hoard.Server.Observability;
using Microsoft.Extensions.Options;

namespace Hoard.Core.Tests.Server.Observability;

public sealed class InstanceMetricsHistoryTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 4, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Record_TurnsCountersIntoRates_BetweenConsecutiveReports()
    {
        var history = History(10);
        history.Record("i", Start, Beat(queries: 100, cpu: 1.0));
        history.Record("i", Start.AddSeconds(2), Beat(queries: 150, cpu: 1.5, volume: new VolumeReport(1000, 400, false),
            replication: new ReplicationReport("replica", 1, "1", LagSeconds: 0.5)));

        var samples = history.Get("i");
        Assert.Equal(2, samples.Count);
        Assert.Null(samples[0].QueriesPerSecond);
        Assert.Equal(25, samples[1].QueriesPerSecond);
        Assert.Equal(25, samples[1].CpuPercent!.Value, 6);
        Assert.Equal(600, samples[1].VolumeUsedBytes);
        Assert.Equal(1000, samples[1].VolumeSizeBytes);
        Assert.Equal(0.5, samples[1].ReplicationLagSeconds);
        Assert.Equal(3, samples[1].Connections);
    }

    [Fact]
    public void Record_AfterTheServerRestarted_GivesNoRateForThatInterval()
    {
        var history = History(10);
        history.Record("i", Start, Beat(queries: 1000, cpu: 50));
        history.Record("i", Start.AddSeconds(2), Beat(queries: 10, cpu: 0.1));

        Assert.Null(history.Get("i")[1].QueriesPerSecond);
        Assert.Null(history.Get("i")[1].CpuPercent);
    }

    [Fact]
    public void Record_KeepsTheNewestSamplesOldestFirst_AndSkipsReportsTooCloseTogether()
    {
        var history = History(3);
        for (var i = 0; i < 5; i++)
        {
            history.Record("i", Start.AddSeconds(2 * i), Beat(queries: i));
            history.Record("i", Start.AddSeconds(2 * i).AddMilliseconds(300), Beat(queries: i));
        }

        Assert.Equal([Start.AddSeconds(4), Start.AddSeconds(6), Start.AddSeconds(8)], history.Get("i").Select(s => s.Time));
        Assert.Equal(Start.AddSeconds(8), history.Latest("i")!.Time);
    }

    [Fact]
    public void Record_FromAnOlderGuest_KeepsTheVolumeWithoutDatastoreValues()
    {
        var history = History(10);
        history.Record("i", Start, new HeartbeatPayload("i", ServiceStatus.Healthy, Volume: new VolumeReport(10, 4, false)));

        var sample = Assert.Single(history.Get("i"));
        Assert.Null(sample.Connections);
        Assert.Null(sample.MemoryBytes);
        Assert.Equal(6, sample.VolumeUsedBytes);
    }

    [Fact]
    public void Retain_ForgetsInstancesThatAreGone()
    {
        var history = History(10);
        history.Record("kept", Start, Beat(queries: 1));
        history.Record("gone", Start, Beat(queries: 1));

        history.Retain(new HashSet<string> { "kept" });

        Assert.Single(history.Get("kept"));
        Assert.Empty(history.Get("gone"));
        Assert.Null(history.Latest("gone"));
    }

    private static InstanceMetricsHistory History(int samples) =>
        new(Options.Create(new ObservabilityOptions { MetricsHistorySamples = samples }));

    private static HeartbeatPayload Beat(long queries, double cpu = 0, VolumeReport? volume = null, ReplicationReport? replication = null) =>
        new("i", ServiceStatus.Healthy, Volume: volume, Replication: replication,
            Metrics: new DatastoreMetricsReport(Connections: 3, QueriesTotal: queries, MemoryBytes: 1 << 20, CpuSecondsTotal: cpu));
}
