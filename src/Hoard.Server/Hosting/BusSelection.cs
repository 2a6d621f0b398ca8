using Hoard.Contracts.Bus;
using Hoard.Messaging.Embedded;
using Hoard.Messaging.RabbitMq;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Hosting;

/// <summary>Chooses the message bus from the <c>Bus</c> setting: <c>embedded</c> (the default) or <c>rabbitmq</c>.</summary>
internal static class BusSelection
{
    private const string Embedded = "embedded";
    private const string RabbitMq = "rabbitmq";

    /// <summary>Registers <see cref="IMessageBus"/> and what serves it; call before any other hosted service is added.</summary>
    public static IServiceCollection AddHoardBus(this IServiceCollection services, HoardOptions options)
    {
        if (BrokerUrl(options) is { } url)
        {
            services.AddSingleton(sp => new RabbitMqBusConnection(
                new RabbitMqOptions { Url = url, ClientName = "hoard-server" },
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<RabbitMqBus>>()));
            services.AddSingleton<IMessageBus>(sp => sp.GetRequiredService<RabbitMqBusConnection>());
            services.AddHostedService(sp => sp.GetRequiredService<RabbitMqBusConnection>());
            return services;
        }

        services.AddSingleton<EmbeddedBus>(sp => new EmbeddedBus(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<EmbeddedBus>>()));
        services.AddSingleton<IMessageBus>(sp => sp.GetRequiredService<EmbeddedBus>());
        services.AddSingleton<IBusAuthenticator, InstanceBusAuthenticator>();
        services.AddSingleton(sp => new EmbeddedBusListener(sp.GetRequiredService<EmbeddedBus>(),
            sp.GetRequiredService<IOptions<HoardOptions>>().Value.BusSocket, sp.GetRequiredService<IBusAuthenticator>(),
            sp.GetRequiredService<ILogger<EmbeddedBusListener>>()));
        services.AddHostedService<BusListenerService>();
        return services;
    }

    /// <summary>The broker when the <c>rabbitmq</c> bus is chosen; null for the embedded bus.</summary>
    /// <exception cref="InvalidOperationException">An unknown bus, or <c>rabbitmq</c> without a usable URL.</exception>
    public static Uri? BrokerUrl(HoardOptions options)
    {
        switch (options.Bus.Trim().ToLowerInvariant())
        {
            case Embedded:
                return null;
            case RabbitMq:
                // The URL is not quoted: it carries the broker password.
                return Uri.TryCreate(options.RabbitMq.Url, UriKind.Absolute, out var url) && url.Scheme is "amqp" or "amqps"
                    ? url
                    : throw new InvalidOperationException("Hoard:Bus is rabbitmq, but Hoard:RabbitMq:Url is not an amqp:// or amqps:// URL.");
            default:
                throw new InvalidOperationException($"Bus '{options.Bus}' is unknown; use {Embedded} or {RabbitMq}.");
        }
    }
}
