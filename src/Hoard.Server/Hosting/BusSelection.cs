using Hoard.Contracts.Bus;
using Hoard.Messaging.Embedded;
using Hoard.Messaging.RabbitMq;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Hosting;

/// <summary>Chooses the message bus from the <c>Bus</c> setting: <c>embedded</c> (the default) or <c>rabbitmq</c>.</summary>
internal static class BusSelection
{
    private const string Embedded = "embedded";
    private const string RabbitMq = "rabbitmq";

    /// <summary>
    /// Registers <see cref="IMessageBus"/> and what serves it, and the guests' credentials (<see cref="GuestCredentials"/>,
    /// <see cref="BrokerUsers"/>); call before any other hosted service is added.
    /// </summary>
    public static IServiceCollection AddHoardBus(this IServiceCollection services, HoardOptions options, IConfiguration? configuration = null)
    {
        services.AddSingleton<GuestCredentials>();
        if (BrokerUrl(options) is { } url)
        {
            RefuseManagementPasswordOnCommandLine(configuration);
            var server = new RabbitMqOptions { Url = url, ClientName = "hoard-server", InboxOwner = BrokerNames.ServerInboxOwner };
            services.AddSingleton(sp => new BrokerUsers(url, options.RabbitMq, server.Exchange, sp.GetRequiredService<ILogger<BrokerUsers>>()));
            services.AddSingleton(sp =>
            {
                var broker = sp.GetRequiredService<BrokerUsers>();
                // With broker users of their own, a message's user_id names its sender (the conductor checks it).
                return new RabbitMqBusConnection(new RabbitMqOptions
                    {
                        Url = url, ClientName = server.ClientName, InboxOwner = server.InboxOwner, IdentifySenders = broker.Enabled,
                    },
                    broker, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<RabbitMqBus>>());
            });
            services.AddSingleton<IMessageBus>(sp => sp.GetRequiredService<RabbitMqBusConnection>());
            services.AddHostedService(sp => sp.GetRequiredService<RabbitMqBusConnection>());
            services.AddHostedService<BrokerUserReconciler>();
            return services;
        }

        services.AddSingleton(sp => new BrokerUsers(null, options.RabbitMq, "hoard", sp.GetRequiredService<ILogger<BrokerUsers>>()));

        services.AddSingleton<EmbeddedBus>(sp => new EmbeddedBus(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<EmbeddedBus>>()));
        services.AddSingleton<IMessageBus>(sp => sp.GetRequiredService<EmbeddedBus>());
        services.AddSingleton<IBusAuthenticator, InstanceBusAuthenticator>();
        services.AddSingleton(sp => new EmbeddedBusListener(sp.GetRequiredService<EmbeddedBus>(),
            sp.GetRequiredService<IOptions<HoardOptions>>().Value.BusSocket, sp.GetRequiredService<IBusAuthenticator>(),
            sp.GetRequiredService<ILogger<EmbeddedBusListener>>()));
        services.AddHostedService<BusListenerService>();
        return services;
    }

    /// <summary>A command line is visible to every user of the host (ps, /proc): the management password there is refused.</summary>
    private static void RefuseManagementPasswordOnCommandLine(IConfiguration? configuration)
    {
        if (configuration is IConfigurationRoot root &&
            root.Providers.OfType<CommandLineConfigurationProvider>().Any(p => p.TryGet("Hoard:RabbitMq:ManagementPassword", out _)))
        {
            throw new InvalidOperationException(
                "Hoard:RabbitMq:ManagementPassword is on the command line, which every user of the host can read; " +
                "set it in the environment (Hoard__RabbitMq__ManagementPassword) or appsettings.");
        }
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
