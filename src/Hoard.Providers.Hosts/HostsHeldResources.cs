using System.Collections.Concurrent;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Hosts;
using Hoard.Core.Compute;

namespace Hoard.Providers.Hosts;

/// <summary>
/// What the hosts that are up hold, per instance, each entry naming its host (a host that does not answer is left out).
/// It remembers where it last saw each instance's leftovers, so that those of an instance the state DB never knew
/// (or no longer places there) are released on the host that holds them.
/// </summary>
public sealed class HostsHeldResources(IInstanceHosts hosts, HostAgentClient agents, HostsOptions options)
{
    private readonly ConcurrentDictionary<string, string> _seenOn = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<HeldResource>> ListAsync(string method, CancellationToken cancellationToken)
    {
        var held = new List<HeldResource>();
        foreach (var host in await hosts.UpHostsAsync(cancellationToken))
        {
            HostReply reply;
            try
            {
                reply = await agents.CallAsync(host, method, new HostRequest(""), options.QueryTimeout, cancellationToken);
            }
            catch (Exception e) when (e is BusTimeoutException or RemoteCallException)
            {
                continue;
            }

            foreach (var resource in reply.Held ?? [])
            {
                // What a host keeps of an instance since placed on another host (its host was down) is not listed:
                // the reconciler would release it through the instance's new host.
                var placed = await hosts.HostOfAsync(resource.InstanceId, cancellationToken);
                if (placed is null || placed == host)
                {
                    _seenOn[resource.InstanceId] = host;
                    held.Add(new HeldResource(resource.InstanceId, $"{resource.What} on host {host}", resource.Since));
                }
            }
        }

        return held;
    }

    /// <summary>The instance's recorded host, else the host where its leftovers were last listed.</summary>
    public async Task<string?> HostOfAsync(string instanceId, CancellationToken cancellationToken) =>
        await hosts.HostOfAsync(instanceId, cancellationToken) ?? _seenOn.GetValueOrDefault(instanceId);
}
