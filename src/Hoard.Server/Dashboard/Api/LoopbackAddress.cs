using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Hoard.Server.Dashboard.Api;

/// <summary>Where this server's own API answers, as seen from inside it: its first listening address, wildcards made loopback.</summary>
internal sealed class LoopbackAddress(IServer server)
{
    private Uri? _value;

    public Uri Value => _value ??= Resolve();

    private Uri Resolve()
    {
        var listening = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                        ?? throw new InvalidOperationException("The server is not listening yet.");
        var address = new UriBuilder(listening.Replace("://+", "://localhost", StringComparison.Ordinal)
            .Replace("://*", "://localhost", StringComparison.Ordinal));
        if (address.Host is "0.0.0.0" or "[::]" or "::")
        {
            address.Host = address.Host == "0.0.0.0" ? "127.0.0.1" : "[::1]";
        }

        return address.Uri;
    }
}
