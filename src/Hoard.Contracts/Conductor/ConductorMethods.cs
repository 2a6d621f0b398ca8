using Hoard.Contracts.Guest;

namespace Hoard.Contracts.Conductor;

public static class ConductorMethods
{
    public const string Heartbeat = "heartbeat";
}

/// <summary>
/// A guest's periodic report. <see cref="Fault"/> explains a FAILED status in words a user can act on;
/// <see cref="Volume"/> says how full the volume is; <see cref="Crash"/> is present while the database server is
/// crashing or has lately crashed;
/// <see cref="Replication"/> is present once the instance is a member of a replication set;
/// <see cref="Metrics"/> while the database server answers (absent from guests older than it).
/// </summary>
public sealed record HeartbeatPayload(
    string InstanceId,
    ServiceStatus Status,
    string? Fault = null,
    string? FaultDetails = null,
    VolumeReport? Volume = null,
    ServerCrashReport? Crash = null,
    ReplicationReport? Replication = null,
    DatastoreMetricsReport? Metrics = null);
