namespace Hoard.Contracts.Hosts;

/// <summary>
/// One request to a host agent. Which fields matter depends on the method; <see cref="Launch"/> carries the guest's
/// bus secret, which thus travels only in a message body, never in a process's arguments.
/// </summary>
public sealed record HostRequest(
    string InstanceId,
    int? Port = null,
    int? SizeGb = null,
    double? GraceSeconds = null,
    int? RamMb = null,
    int? Vcpus = null,
    HostGuestLaunch? Launch = null);

/// <summary>What the compute provider needs to start a guest (the wire twin of Core's GuestLaunch).</summary>
public sealed record HostGuestLaunch(
    string InstanceId, string Manager, string Address, int Port, string VolumePath, string BusSecret, int RamMb, int Vcpus,
    string? BrokerUser = null);

/// <summary>A host agent's answer; which field is set depends on the method.</summary>
public sealed record HostReply(
    string? Text = null,
    long? Number = null,
    bool? Flag = null,
    HostLimits? Limits = null,
    IReadOnlyList<HostHeldResource>? Held = null);

public sealed record HostLimits(long? MemoryLimitMb, double? CpuQuota, string EnforcedBy, string? Reason, long? OomKills);

public sealed record HostHeldResource(string InstanceId, string What, DateTimeOffset Since);

/// <summary>
/// A host agent's periodic report: what it offers (<see cref="RamMb"/>, <see cref="DiskGb"/>: its configured capacity)
/// and what it measures free now. Its arrival is the host's liveness.
/// </summary>
public sealed record HostReport(
    string Name,
    string Address,
    long RamMb,
    long DiskGb,
    long FreeRamMb,
    long FreeDiskGb,
    DateTimeOffset Sent);
