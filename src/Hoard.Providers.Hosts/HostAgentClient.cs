using System.Text.Json;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Hosts;

namespace Hoard.Providers.Hosts;

/// <summary>Calls to one host agent over the bus, each with a deadline.</summary>
public sealed class HostAgentClient(IMessageBus bus)
{
    public async Task<HostReply> CallAsync(string host, string method, HostRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        JsonElement? reply = await bus.CallAsync(HostTopics.Host(host), method, HostJson.ToElement(request), timeout, cancellationToken);
        return reply is null ? new HostReply() : HostJson.FromElement<HostReply>(reply);
    }
}
