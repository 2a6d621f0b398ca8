using Hoard.Messaging.Embedded;
using Hoard.Persistence;
using Hoard.Server.Identity;

namespace Hoard.Server.Hosting;

/// <summary>A guest may join the bus with the secret issued for its instance when its guest was launched.</summary>
internal sealed class InstanceBusAuthenticator(InstanceStore instances) : IBusAuthenticator
{
    public async ValueTask<bool> AuthenticateAsync(string identity, string secret, CancellationToken cancellationToken)
    {
        var instance = await instances.GetAsync(identity, cancellationToken);
        return instance?.BusSecretHash is { } hash && Secrets.HashEquals(secret, hash);
    }
}

/// <summary>Opens the embedded bus to guests for the lifetime of the server.</summary>
internal sealed class BusListenerService(EmbeddedBusListener listener) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        listener.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await listener.DisposeAsync();
}
