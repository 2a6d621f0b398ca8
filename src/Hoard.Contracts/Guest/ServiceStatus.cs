namespace Hoard.Contracts.Guest;

/// <summary>What the guest reports about its database server (Trove's service statuses).</summary>
public enum ServiceStatus
{
    New,
    Building,
    Running,
    Healthy,
    Blocked,
    Shutdown,
    Crashed,
    Restarting,
    Failed,
    FailedTimeoutGuestAgent,
    Unknown,
    Deleted,
}
