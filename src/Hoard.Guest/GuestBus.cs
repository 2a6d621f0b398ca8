using Hoard.Contracts.Bus;
using Hoard.Messaging.Embedded;
using Hoard.Messaging.RabbitMq;

namespace Hoard.Guest;

/// <summary>Joins the bus the server chose: its RabbitMQ broker when the config names one, else its embedded socket.</summary>
internal static class GuestBus
{
    /// <summary>Waits for the broker (not for the embedded socket: that client connects and reconnects by itself).</summary>
    public static async Task<IMessageBus> ConnectAsync(GuestConfig config, GuestLog log, CancellationToken cancellationToken)
    {
        if (config.RabbitMqUrl is { } url)
        {
            // Restricted: with a broker user of its own, the guest may declare only its own queues.
            var options = new RabbitMqOptions
            {
                Url = url, ClientName = "hoard-guest " + config.InstanceId, Restricted = true,
                InboxOwner = BrokerNames.GuestInboxOwner(config.InstanceId),
            };
            log.Info($"Joining the RabbitMQ bus at {options.SafeUrl}");
            return await RabbitMqBus.ConnectAsync(options, TimeProvider.System, log, cancellationToken);
        }

        var client = new EmbeddedBusClient(config.BusSocket, config.InstanceId, config.BusSecret, TimeProvider.System, log);
        client.Start();
        return client;
    }
}
