namespace Hoard.Messaging.Embedded;

/// <summary>Decides whether a remote peer (a guest agent) may join the bus.</summary>
public interface IBusAuthenticator
{
    /// <returns>True when <paramref name="secret"/> is the one issued to <paramref name="identity"/>.</returns>
    ValueTask<bool> AuthenticateAsync(string identity, string secret, CancellationToken cancellationToken);
}
