using Prometheus;

namespace Hoard.Server.Observability;

/// <summary>
/// hoard-server's Prometheus collectors, in a registry of their own (the library's default one would also publish every
/// .NET meter in the process). Counters and histograms are updated as things happen; gauges are refreshed from the
/// state at each scrape (<see cref="ScrapeRefresher"/>).
/// </summary>
internal sealed class HoardMetrics
{
    private static readonly string[] InstanceLabels = ["instance_id", "datastore"];

    public HoardMetrics()
    {
        var factory = Metrics.WithCustomRegistry(Registry);
        ApiRequests = factory.CreateHistogram("hoard_api_request_duration_seconds",
            "API requests by method, route template and status code, and how long they took.",
            ["method", "route", "status"], new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 4, 8) });
        WorkflowsStarted = factory.CreateCounter("hoard_workflows_started_total", "Workflows started, by type.", ["type"]);
        Workflows = factory.CreateHistogram("hoard_workflow_duration_seconds",
            "Workflows ended, by type and outcome (succeeded, failed), and how long they took from creation.",
            ["type", "outcome"], new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.25, 2, 12) });
        WorkflowsRunning = factory.CreateGauge("hoard_workflows_running", "Workflows in progress, by type.", ["type"]);
        Instances = factory.CreateGauge("hoard_instances", "Instances that are not deleted, by API status.", ["status"]);
        HeartbeatAge = factory.CreateGauge("hoard_instance_heartbeat_age_seconds",
            "Seconds since the instance's guest last reported.", ["instance_id"]);
        BusBacklog = factory.CreateGauge("hoard_bus_queue_depth", "Messages waiting on a bus topic for a consumer.", ["topic"]);
        Connections = factory.CreateGauge("hoard_instance_connections", "Client connections to the database server.", InstanceLabels);
        QueriesPerSecond = factory.CreateGauge("hoard_instance_queries_per_second",
            "Statements (MariaDB), transactions (PostgreSQL) or commands (Redis) per second.", InstanceLabels);
        ReplicationLag = factory.CreateGauge("hoard_instance_replication_lag_seconds", "How far a replica is behind its source.", InstanceLabels);
        VolumeUsed = factory.CreateGauge("hoard_instance_volume_used_bytes", "Bytes used on the instance's volume.", InstanceLabels);
        VolumeSize = factory.CreateGauge("hoard_instance_volume_size_bytes", "Size of the instance's volume.", InstanceLabels);
        Memory = factory.CreateGauge("hoard_instance_memory_bytes", "Resident memory of the database server.", InstanceLabels);
        Cpu = factory.CreateGauge("hoard_instance_cpu_percent", "CPU used by the database server, in percent of one core.", InstanceLabels);
    }

    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    public Histogram ApiRequests { get; }
    public Counter WorkflowsStarted { get; }
    public Histogram Workflows { get; }
    public Gauge WorkflowsRunning { get; }
    public Gauge Instances { get; }
    public Gauge HeartbeatAge { get; }
    public Gauge BusBacklog { get; }
    public Gauge Connections { get; }
    public Gauge QueriesPerSecond { get; }
    public Gauge ReplicationLag { get; }
    public Gauge VolumeUsed { get; }
    public Gauge VolumeSize { get; }
    public Gauge Memory { get; }
    public Gauge Cpu { get; }
}
