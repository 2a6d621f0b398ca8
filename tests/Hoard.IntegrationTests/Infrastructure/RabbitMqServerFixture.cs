using Hoard.Tests.Shared;

namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>
/// A private RabbitMQ and a hoard-server with <c>Hoard:Bus=rabbitmq</c> on it, managing per-guest broker users through
/// the broker's management API; the broker URL, password included, reaches the server only through its environment. Nothing starts where <see cref="RabbitMqBroker.SkipReason"/> says
/// the tests are skipped.
/// </summary>
public sealed class RabbitMqServerFixture : IAsyncLifetime
{
    public RabbitMqBroker Broker { get; } = new();

    public HoardServerFixture Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (RabbitMqBroker.SkipReason is not null)
        {
            return;
        }

        try
        {
            await Broker.InitializeAsync();
            var server = new HoardServerFixture(new Dictionary<string, string>
            {
                ["Hoard__Bus"] = "rabbitmq",
                ["Hoard__RabbitMq__Url"] = Broker.Options.Url.ToString(),
                // Per-guest broker users; the admin is the URL's user (ManagementUser/Password unset).
                ["Hoard__RabbitMq__ManagementUrl"] = Broker.ManagementUrl.ToString(),
            });
            await server.InitializeAsync();
            Server = server;
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        // Also when skipped: the broker's temp dir exists from its construction.
        await Broker.DisposeAsync();
    }
}
