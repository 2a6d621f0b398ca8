namespace Hoard.Server.Observability;

/// <summary>Section <c>Hoard:Observability</c>.</summary>
internal sealed class ObservabilityOptions
{
    /// <summary>
    /// When set, <c>/metrics</c> answers only <c>Authorization: Bearer &lt;token&gt;</c>. Unset (the default), anyone who
    /// reaches the API may scrape it: it shows counts, timings and instance ids, never names, projects or secrets.
    /// </summary>
    public string? MetricsBearerToken { get; set; }

    /// <summary>How long events and audit entries are kept.</summary>
    public double EventRetentionDays { get; set; } = 30;

    /// <summary>How many datastore samples are kept in memory per instance (one per heartbeat, at most one a second).</summary>
    public int MetricsHistorySamples { get; set; } = 60;

    public TimeSpan EventRetention => TimeSpan.FromDays(EventRetentionDays);
}
