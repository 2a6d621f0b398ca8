using Hoard.Contracts.Bus;
using Hoard.Contracts.Hosts;
using Hoard.Core.Compute;
using Microsoft.Extensions.Logging;

namespace Hoard.Providers.Hosts;

/// <summary>
/// The <c>hosts</c> compute provider: each call goes over the bus to the agent of the host the instance was placed on,
/// which does it with the local compute provider there. The first call for a new instance (its address) places it.
/// A host that does not answer is treated as holding nothing running: its instances' guests are reported not running,
/// and stopping or releasing them there succeeds once the host is down (it runs nothing any more; what it kept on disk
/// is its own to clean when it comes back, see docs/distributed.md).
/// </summary>
public sealed partial class HostsComputeProvider(
    IInstanceHosts hosts, HostAgentClient agents, HostsHeldResources held, HostsOptions options, ILogger<HostsComputeProvider> logger) : IComputeProvider
{
    public string Name => "hosts";

    public async Task<string> AllocateAddressAsync(string instanceId, int port, CancellationToken cancellationToken)
    {
        // The one call that places (or, for a build whose host went down, places again): it begins a build's resources.
        var host = await hosts.PlaceAsync(instanceId, cancellationToken);
        var reply = await agents.CallAsync(host, HostMethods.AllocateAddress, new HostRequest(instanceId, Port: port), options.ActionTimeout, cancellationToken);
        return reply.Text ?? throw new InvalidOperationException($"Host {host} allocated no address for instance {instanceId}.");
    }

    public async Task StartGuestAsync(GuestLaunch launch, CancellationToken cancellationToken)
    {
        var host = await UpHostOfAsync(launch.InstanceId, cancellationToken);
        var wire = new HostGuestLaunch(launch.InstanceId, launch.Manager, launch.Address, launch.Port, launch.VolumePath, launch.BusSecret,
            launch.RamMb, launch.Vcpus, launch.BrokerUser);
        await agents.CallAsync(host, HostMethods.StartGuest, new HostRequest(launch.InstanceId, Launch: wire), options.ActionTimeout, cancellationToken);
    }

    public async Task<bool> IsGuestRunningAsync(string instanceId, CancellationToken cancellationToken)
    {
        if (await hosts.HostOfAsync(instanceId, cancellationToken) is not { } host || !await hosts.IsUpAsync(host, cancellationToken))
        {
            return false;
        }

        try
        {
            return (await agents.CallAsync(host, HostMethods.IsGuestRunning, new HostRequest(instanceId), options.QueryTimeout, cancellationToken)).Flag == true;
        }
        catch (BusTimeoutException)
        {
            LogNoAnswer(host, instanceId);
            return false;
        }
    }

    public Task StopGuestAsync(string instanceId, TimeSpan gracePeriod, CancellationToken cancellationToken) =>
        OnHostUnlessDownAsync(instanceId, HostMethods.StopGuest, new HostRequest(instanceId, GraceSeconds: gracePeriod.TotalSeconds),
            options.ActionTimeout + gracePeriod, cancellationToken);

    public Task ReleaseAsync(string instanceId, CancellationToken cancellationToken) =>
        OnHostUnlessDownAsync(instanceId, HostMethods.Release, new HostRequest(instanceId), options.ActionTimeout, cancellationToken);

    public async Task ApplyResourceLimitsAsync(string instanceId, int ramMb, int vcpus, CancellationToken cancellationToken)
    {
        var host = await UpHostOfAsync(instanceId, cancellationToken);
        await agents.CallAsync(host, HostMethods.ApplyLimits, new HostRequest(instanceId, RamMb: ramMb, Vcpus: vcpus), options.ActionTimeout, cancellationToken);
    }

    public async Task<ResourceLimits> DescribeResourceLimitsAsync(string instanceId, CancellationToken cancellationToken)
    {
        if (await hosts.HostOfAsync(instanceId, cancellationToken) is not { } host)
        {
            return ResourceLimits.NotEnforced("the instance is not placed on a host yet");
        }

        if (!await hosts.IsUpAsync(host, cancellationToken))
        {
            return ResourceLimits.NotEnforced($"host {host} is down");
        }

        try
        {
            var limits = (await agents.CallAsync(host, HostMethods.DescribeLimits, new HostRequest(instanceId), options.QueryTimeout, cancellationToken)).Limits;
            return limits is null
                ? ResourceLimits.NotEnforced($"host {host} did not say")
                : new ResourceLimits(limits.MemoryLimitMb, limits.CpuQuota, limits.EnforcedBy, limits.Reason, limits.OomKills);
        }
        catch (Exception e) when (e is BusTimeoutException or RemoteCallException)
        {
            return ResourceLimits.NotEnforced($"host {host} did not answer: {e.Message}");
        }
    }

    public Task<IReadOnlyList<HeldResource>> ListHeldResourcesAsync(CancellationToken cancellationToken) =>
        held.ListAsync(HostMethods.ListHeld, cancellationToken);

    /// <summary>
    /// The instance's host (placing it if it has none yet), which must be up: a call to a host that is down would only
    /// wait out its deadline. It never moves a placed instance: what was made for it (address, volume) is on that host.
    /// </summary>
    public async Task<string> UpHostOfAsync(string instanceId, CancellationToken cancellationToken)
    {
        var host = await hosts.HostOfAsync(instanceId, cancellationToken) ?? await hosts.PlaceAsync(instanceId, cancellationToken);
        return await hosts.IsUpAsync(host, cancellationToken)
            ? host
            : throw new InvalidOperationException($"Host {host}, where instance {instanceId} runs, is down.");
    }

    /// <summary>
    /// Runs <paramref name="method"/> on the instance's host. A host that is down runs nothing, so there is nothing to
    /// stop or release there now: that counts as done (a fence of a source on a dead host succeeds).
    /// </summary>
    public async Task OnHostUnlessDownAsync(string instanceId, string method, HostRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (await held.HostOfAsync(instanceId, cancellationToken) is not { } host)
        {
            return;
        }

        if (!await AnswersOrDownAsync(host, cancellationToken))
        {
            LogSkippedDown(method, instanceId, host);
            return;
        }

        await agents.CallAsync(host, method, request, timeout, cancellationToken);
    }

    /// <summary>
    /// True when the host's agent answers a quick question; false once the host is down. An agent that has just died
    /// answers nothing but is not yet down: this waits (within the caller's deadline) until it answers or is declared
    /// down, so that a fence neither waits out a long call nor succeeds while the host may still run the guest.
    /// </summary>
    private async Task<bool> AnswersOrDownAsync(string host, CancellationToken cancellationToken)
    {
        while (await hosts.IsUpAsync(host, cancellationToken))
        {
            try
            {
                await agents.CallAsync(host, HostMethods.IsGuestRunning, new HostRequest(""), options.QueryTimeout, cancellationToken);
                return true;
            }
            catch (BusTimeoutException)
            {
                LogWaitingForDown(host);
            }
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Host {Host} did not answer about instance {InstanceId}: its guest counts as not running")]
    private partial void LogNoAnswer(string host, string instanceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Host {Host} does not answer; waiting until it answers or is declared down")]
    private partial void LogWaitingForDown(string host);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} of instance {InstanceId} skipped: its host {Host} is down and runs nothing")]
    private partial void LogSkippedDown(string method, string instanceId, string host);
}
