namespace Hoard.Bench.Failover;

/// <summary>One automatic failover: what the writer saw, and Hoard's own account of it (its replication event), in seconds after the kill.</summary>
/// <param name="DowntimeSeconds">The event's <c>downtime_seconds</c>: the source's last serving report → the replica promoted.</param>
/// <param name="ToDetected">Kill → the event's <c>detected</c> (negative: the last report before the kill).</param>
/// <param name="Rebuilt">Kill → the old source ACTIVE again as a replica of the new one, streaming, 0 behind (null until then).</param>
/// <param name="Killed">The processes killed: pid and program.</param>
internal sealed record HoardRun(
    WriteOutage Outage, string OldSource, string NewSource, double? DowntimeSeconds, double? ToDetected, double? ToFenced, double? ToPromoted,
    double? ToFinished, TimeSpan? Rebuilt, IReadOnlyList<string> Killed);
