namespace Hoard.Core.Compute;

/// <summary>
/// Where the instances of the <c>hosts</c> compute provider run: the host an instance was placed on (placing it the
/// first time it is asked), and which hosts are up. Kept by the control plane, read by the forwarding providers.
/// </summary>
public interface IInstanceHosts
{
    /// <summary>
    /// The host of <paramref name="instanceId"/>. An instance not yet placed, or whose host is down while it is being
    /// built, is placed now (and recorded); one that cannot be placed raises <see cref="PlacementException"/>. Called
    /// where a build begins making resources (its address), so a build moved to another host makes them all anew there.
    /// </summary>
    Task<string> PlaceAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>The recorded host of <paramref name="instanceId"/>, without placing it; null when it has none (or is unknown).</summary>
    Task<string?> HostOfAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>Whether the host's agent reported lately.</summary>
    Task<bool> IsUpAsync(string host, CancellationToken cancellationToken);

    /// <summary>The names of the hosts whose agents reported lately.</summary>
    Task<IReadOnlyList<string>> UpHostsAsync(CancellationToken cancellationToken);
}
