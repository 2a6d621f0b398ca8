using Hoard.Contracts.Guest;

namespace Hoard.Contracts.Conductor;

public static class ConductorMethods
{
    public const string Heartbeat = "heartbeat";
}

/// <summary>A guest's periodic report. <see cref="Fault"/> explains a FAILED status in words a user can act on.</summary>
public sealed record HeartbeatPayload(string InstanceId, ServiceStatus Status, string? Fault = null, string? FaultDetails = null);
