using Hoard.Contracts.Bus;
using Hoard.Contracts.Hosts;
using Hoard.Core.Compute;

namespace Hoard.Providers.Hosts;

/// <summary>
/// The volumes of the <c>hosts</c> compute provider: made, measured, grown and destroyed by the agent of the instance's
/// host with that machine's volume provider (loopfs or directory, as the agent chose).
/// </summary>
public sealed class HostsVolumeProvider(IInstanceHosts hosts, HostAgentClient agents, HostsHeldResources held, HostsComputeProvider compute,
    HostsOptions options) : IVolumeProvider
{
    /// <summary>The grace a guest gets when an offline grow stops it on its host.</summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(30);

    public string Name => "hosts";

    public async Task<string> CreateAsync(string instanceId, int sizeGb, CancellationToken cancellationToken)
    {
        var host = await compute.UpHostOfAsync(instanceId, cancellationToken);
        var reply = await agents.CallAsync(host, HostMethods.CreateVolume, new HostRequest(instanceId, SizeGb: sizeGb), options.ActionTimeout, cancellationToken);
        return reply.Text ?? throw new InvalidOperationException($"Host {host} made no volume for instance {instanceId}.");
    }

    public async Task<long?> GetUsedBytesAsync(string instanceId, CancellationToken cancellationToken)
    {
        if (await hosts.HostOfAsync(instanceId, cancellationToken) is not { } host || !await hosts.IsUpAsync(host, cancellationToken))
        {
            return null;
        }

        try
        {
            return (await agents.CallAsync(host, HostMethods.VolumeUsed, new HostRequest(instanceId), options.QueryTimeout, cancellationToken)).Number;
        }
        catch (Exception e) when (e is BusTimeoutException or RemoteCallException)
        {
            // A view must not fail because a host is away: its usage is simply unknown.
            return null;
        }
    }

    /// <summary>
    /// The agent grows the volume and, where it must be unmounted, stops the guest itself (a callback cannot cross
    /// the bus); <paramref name="stopUsers"/> then runs afterwards, so the caller's bookkeeping of the stop happens.
    /// </summary>
    public async Task<bool> ResizeAsync(string instanceId, int newSizeGb, Func<CancellationToken, Task> stopUsers, CancellationToken cancellationToken)
    {
        var host = await compute.UpHostOfAsync(instanceId, cancellationToken);
        var reply = await agents.CallAsync(host, HostMethods.ResizeVolume,
            new HostRequest(instanceId, SizeGb: newSizeGb, GraceSeconds: StopGrace.TotalSeconds), options.ActionTimeout + StopGrace, cancellationToken);
        var online = reply.Flag == true;
        if (!online)
        {
            await stopUsers(cancellationToken);
        }

        return online;
    }

    public Task DeleteAsync(string instanceId, CancellationToken cancellationToken) =>
        compute.OnHostUnlessDownAsync(instanceId, HostMethods.DeleteVolume, new HostRequest(instanceId), options.ActionTimeout, cancellationToken);

    public Task<IReadOnlyList<HeldResource>> ListHeldResourcesAsync(CancellationToken cancellationToken) =>
        held.ListAsync(HostMethods.ListHeldVolumes, cancellationToken);
}
