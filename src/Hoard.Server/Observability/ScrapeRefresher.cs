using Hoard.Contracts.Bus;
using Hoard.Core.Instances;
using Hoard.Messaging.Embedded;
using Hoard.Persistence;
using Prometheus;

namespace Hoard.Server.Observability;

/// <summary>
/// Refreshes the gauges that describe the state rather than events (instances by status, workflows running, heartbeat
/// ages, bus backlogs, each instance's latest datastore sample) just before each scrape: a scrape costs three queries, and
/// nothing is computed when nobody scrapes.
/// </summary>
internal sealed class ScrapeRefresher(
    HoardMetrics metrics,
    InstanceStore instances,
    CatalogStore catalog,
    WorkflowStore workflows,
    IMessageBus bus,
    InstanceMetricsHistory history,
    TimeProvider time)
{
    // Scrapes at the same moment would interleave their replacements of the same series.
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _oneAtATime.WaitAsync(cancellationToken);
        try
        {
            await RefreshUnderLockAsync(cancellationToken);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private async Task RefreshUnderLockAsync(CancellationToken cancellationToken)
    {
        var live = await instances.ListAsync(null, int.MaxValue, null, cancellationToken);
        var datastores = (await catalog.ListVersionsAsync(cancellationToken)).ToDictionary(v => v.Id, v => v.DatastoreName);
        var running = await workflows.ListRunningAsync(cancellationToken);
        var now = time.GetUtcNow();

        GaugeSeries.Replace(metrics.Instances, live
            .GroupBy(i => InstanceStatusView.Status(i.Task, i.ServerStatus))
            .Select(g => (new[] { g.Key }, (double)g.Count())));
        GaugeSeries.Replace(metrics.WorkflowsRunning, running.GroupBy(w => w.Type).Select(g => (new[] { g.Key }, (double)g.Count())));
        GaugeSeries.Replace(metrics.HeartbeatAge, live
            .Where(i => i.ServiceStatusUpdated is not null)
            .Select(i => (new[] { i.Id }, Math.Max(0, (now - i.ServiceStatusUpdated!.Value).TotalSeconds))));
        // Only the embedded bus keeps its backlogs in this process; RabbitMQ's queue depths are the broker's to report.
        var backlogs = bus is EmbeddedBus embedded ? embedded.Backlogs() : [];
        GaugeSeries.Replace(metrics.BusBacklog, backlogs.Select(b => (new[] { b.Key }, (double)b.Value)));

        var latest = live
            .Select(i => (Labels: new[] { i.Id, datastores.GetValueOrDefault(i.DatastoreVersionId, "unknown") }, Sample: history.Latest(i.Id)))
            .Where(s => s.Sample is not null)
            .Select(s => (s.Labels, Sample: s.Sample!))
            .ToList();
        Publish(metrics.Connections, latest, s => s.Connections);
        Publish(metrics.QueriesPerSecond, latest, s => s.QueriesPerSecond);
        Publish(metrics.ReplicationLag, latest, s => s.ReplicationLagSeconds);
        Publish(metrics.VolumeUsed, latest, s => s.VolumeUsedBytes);
        Publish(metrics.VolumeSize, latest, s => s.VolumeSizeBytes);
        Publish(metrics.Memory, latest, s => s.MemoryBytes);
        Publish(metrics.Cpu, latest, s => s.CpuPercent);
    }

    private static void Publish(Gauge gauge, List<(string[] Labels, InstanceMetricsSample Sample)> latest, Func<InstanceMetricsSample, double?> value) =>
        GaugeSeries.Replace(gauge, latest
            .Where(s => value(s.Sample) is not null)
            .Select(s => (s.Labels, value(s.Sample)!.Value)));
}
