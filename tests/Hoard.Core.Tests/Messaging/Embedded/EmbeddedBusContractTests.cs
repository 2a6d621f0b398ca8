using Hoard.Contracts.Bus;
using Hoard.Messaging.Embedded;

namespace Hoard.Core.Tests.Messaging.Embedded;

public sealed class EmbeddedBusContractTests : BusContractTests
{
    protected override Task<(IMessageBus Server, IMessageBus Guest)> ConnectAsync()
    {
        var bus = new EmbeddedBus();
        return Task.FromResult<(IMessageBus, IMessageBus)>((bus, bus));
    }

    protected override ValueTask DisconnectAsync(IMessageBus server, IMessageBus guest) => ((EmbeddedBus)server).DisposeAsync();
}
