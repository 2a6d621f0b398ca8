namespace Hoard.Core.Compute;

/// <summary>Where an instance runs: starts and stops its guest agent, gives it an address.</summary>
public interface IComputeProvider
{
    string Name { get; }

    /// <summary>Reserve a network address where <paramref name="port"/> is free for a new instance. Idempotent per instance id.</summary>
    Task<string> AllocateAddressAsync(string instanceId, int port, CancellationToken cancellationToken);

    /// <summary>Start the guest agent for an instance whose volume is ready. Idempotent: a running guest is left alone.</summary>
    Task StartGuestAsync(GuestLaunch launch, CancellationToken cancellationToken);

    /// <summary>True when the instance's guest process exists.</summary>
    Task<bool> IsGuestRunningAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>Stop the guest (which stops its database server) and everything it started. Idempotent.</summary>
    Task StopGuestAsync(string instanceId, TimeSpan gracePeriod, CancellationToken cancellationToken);

    /// <summary>Remove everything the provider created for the instance except the volume. Idempotent.</summary>
    Task ReleaseAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>
    /// Limit the instance's processes (guest and database server) to <paramref name="ramMb"/> of memory and
    /// <paramref name="vcpus"/> CPUs, now and for what they start later. Idempotent; also used by flavor resize.
    /// Where the host cannot enforce limits it does nothing, and <see cref="DescribeResourceLimitsAsync"/> says why.
    /// </summary>
    Task ApplyResourceLimitsAsync(string instanceId, int ramMb, int vcpus, CancellationToken cancellationToken);

    /// <summary>The limits in force on the instance's processes, read from the host, or why there are none.</summary>
    Task<ResourceLimits> DescribeResourceLimitsAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>
    /// What the provider holds on the host, per instance (processes, directories, addresses, cgroups), whatever the
    /// state DB says: the orphan reconciler releases what no instance owns.
    /// </summary>
    Task<IReadOnlyList<HeldResource>> ListHeldResourcesAsync(CancellationToken cancellationToken);
}

/// <param name="EnforcedBy">What enforces the limits (<c>cgroup-v2</c>, <c>cgroup-v1</c>), or <c>none</c>.</param>
/// <param name="Reason">Why nothing enforces them; null when something does.</param>
/// <param name="OomKills">
/// How many of the instance's processes the kernel killed for going over the memory limit since the group was made
/// (null when the host does not count them).
/// </param>
public sealed record ResourceLimits(long? MemoryLimitMb, double? CpuQuota, string EnforcedBy, string? Reason, long? OomKills = null)
{
    public const string None = "none";

    public static ResourceLimits NotEnforced(string reason) => new(null, null, None, reason);
}

/// <param name="What">For the log: <c>process 1234</c>, <c>directory /…</c>, <c>cgroup /…</c>.</param>
/// <param name="Since">When it last changed (a file's mtime, a process's start), so that what is still being made is left alone.</param>
public sealed record HeldResource(string InstanceId, string What, DateTimeOffset Since);

/// <param name="BusSecret">Issued to this guest only; the provider hands it over without process arguments.</param>
/// <param name="RamMb">The flavor's RAM: the memory limit of the guest and its database server.</param>
/// <param name="Vcpus">The flavor's vCPUs: their CPU quota.</param>
/// <param name="BrokerUser">
/// On the rabbitmq bus with per-guest broker users: the guest's own user, whose password is <paramref name="BusSecret"/>;
/// the provider gives the guest the broker's URL with these credentials instead of its own. Null: the provider's URL as is.
/// </param>
public sealed record GuestLaunch(
    string InstanceId,
    string Manager,
    string Address,
    int Port,
    string VolumePath,
    string BusSecret,
    int RamMb,
    int Vcpus,
    string? BrokerUser = null);
