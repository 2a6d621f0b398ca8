namespace Hoard.Server.Observability;

/// <summary>One point of an instance's metrics history; a value the guest did not report is null.</summary>
internal sealed record InstanceMetricsSample(
    DateTimeOffset Time,
    long? Connections,
    double? QueriesPerSecond,
    double? ReplicationLagSeconds,
    long? VolumeUsedBytes,
    long? VolumeSizeBytes,
    long? MemoryBytes,
    double? CpuPercent);
