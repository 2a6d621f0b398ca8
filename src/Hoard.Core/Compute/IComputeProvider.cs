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
}

/// <param name="BusSecret">Issued to this guest only; the provider hands it over without process arguments.</param>
public sealed record GuestLaunch(
    string InstanceId,
    string Manager,
    string Address,
    int Port,
    string VolumePath,
    string BusSecret);
