using System.Collections.Concurrent;
using Hoard.Contracts.Conductor;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Observability;

/// <summary>
/// The last few datastore samples of each instance, in memory only (a restart starts them afresh). Fed by every heartbeat,
/// so recording is a lock and an array write; heartbeats closer than <see cref="MinimumSpacing"/> to the last sample are skipped.
/// </summary>
internal sealed class InstanceMetricsHistory(IOptions<ObservabilityOptions> options)
{
    public static readonly TimeSpan MinimumSpacing = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);
    private readonly int _capacity = Math.Max(2, options.Value.MetricsHistorySamples);

    public void Record(string instanceId, DateTimeOffset time, HeartbeatPayload heartbeat) =>
        _series.GetOrAdd(instanceId, _ => new Series(_capacity)).Add(time, heartbeat);

    /// <summary>The instance's samples, oldest first; empty when it has not reported since hoard-server started.</summary>
    public IReadOnlyList<InstanceMetricsSample> Get(string instanceId) =>
        _series.TryGetValue(instanceId, out var series) ? series.Snapshot() : [];

    public InstanceMetricsSample? Latest(string instanceId) =>
        _series.TryGetValue(instanceId, out var series) ? series.Latest() : null;

    /// <summary>Forgets every instance not in <paramref name="live"/> (deleted ones).</summary>
    public void Retain(IReadOnlySet<string> live)
    {
        foreach (var id in _series.Keys)
        {
            if (!live.Contains(id))
            {
                _series.TryRemove(id, out _);
            }
        }
    }

    private sealed class Series(int capacity)
    {
        private readonly Lock _gate = new();
        private readonly InstanceMetricsSample[] _ring = new InstanceMetricsSample[capacity];
        private int _count;
        private int _next;
        private (DateTimeOffset Time, DatastoreMetricsReport Report)? _lastCounters;

        public void Add(DateTimeOffset time, HeartbeatPayload heartbeat)
        {
            lock (_gate)
            {
                if (_count > 0 && time - _ring[(_next + capacity - 1) % capacity].Time < MinimumSpacing)
                {
                    return;
                }

                _ring[_next] = Sample(time, heartbeat);
                _next = (_next + 1) % capacity;
                _count = Math.Min(_count + 1, capacity);
                _lastCounters = heartbeat.Metrics is { } report ? (time, report) : null;
            }
        }

        public InstanceMetricsSample[] Snapshot()
        {
            lock (_gate)
            {
                var start = (_next + capacity - _count) % capacity;
                return [.. Enumerable.Range(0, _count).Select(i => _ring[(start + i) % capacity])];
            }
        }

        public InstanceMetricsSample? Latest()
        {
            lock (_gate)
            {
                return _count == 0 ? null : _ring[(_next + capacity - 1) % capacity];
            }
        }

        private InstanceMetricsSample Sample(DateTimeOffset time, HeartbeatPayload heartbeat)
        {
            var report = heartbeat.Metrics;
            double? queriesPerSecond = null, cpuPercent = null;
            if (report is not null && _lastCounters is { } last && time > last.Time)
            {
                var seconds = (time - last.Time).TotalSeconds;
                // A counter that went down means the database server restarted: no rate for that interval.
                queriesPerSecond = report.QueriesTotal >= last.Report.QueriesTotal ? (report.QueriesTotal - last.Report.QueriesTotal) / seconds : null;
                cpuPercent = report.CpuSecondsTotal is { } cpu && last.Report.CpuSecondsTotal is { } lastCpu && cpu >= lastCpu
                    ? (cpu - lastCpu) / seconds * 100
                    : null;
            }

            var volume = heartbeat.Volume;
            return new InstanceMetricsSample(time, report?.Connections, queriesPerSecond, heartbeat.Replication?.LagSeconds,
                volume is null ? null : volume.SizeBytes - volume.AvailableBytes, volume?.SizeBytes, report?.MemoryBytes, cpuPercent);
        }
    }
}
