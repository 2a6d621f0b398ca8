namespace Hoard.Contracts.Hosts;

/// <summary>
/// The calls a host agent answers on its own topic (<see cref="HostTopics.Host"/>): one per method of the compute and
/// volume provider interfaces, done on that machine by the local providers.
/// </summary>
public static class HostMethods
{
    public const string AllocateAddress = "allocate_address";
    public const string StartGuest = "start_guest";
    public const string IsGuestRunning = "is_guest_running";
    public const string StopGuest = "stop_guest";
    public const string Release = "release";
    public const string ApplyLimits = "apply_limits";
    public const string DescribeLimits = "describe_limits";
    public const string ListHeld = "list_held";
    public const string CreateVolume = "create_volume";
    public const string VolumeUsed = "volume_used";
    public const string ResizeVolume = "resize_volume";
    public const string DeleteVolume = "delete_volume";
    public const string ListHeldVolumes = "list_held_volumes";

    /// <summary>Cast by every agent to <see cref="HostTopics.Reports"/> every few seconds: its capacity and that it lives.</summary>
    public const string Report = "host_report";
}
