using System.Text.Json;

namespace Hoard.Contracts.Bus;

/// <summary>
/// RPC over topics. <c>cast</c> is fire-and-forget; <c>call</c> waits for one reply or the timeout.
/// Every transport (embedded, RabbitMQ) must pass the same contract tests.
/// </summary>
public interface IMessageBus
{
    Task CastAsync(string topic, string method, JsonElement? args, CancellationToken cancellationToken);

    /// <exception cref="BusTimeoutException">No reply arrived within <paramref name="timeout"/>.</exception>
    /// <exception cref="RemoteCallException">The handler failed; carries its error code and message.</exception>
    Task<JsonElement?> CallAsync(string topic, string method, JsonElement? args, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Receives every message sent to <paramref name="topic"/> until the returned handle is disposed.</summary>
    Task<IAsyncDisposable> SubscribeAsync(string topic, BusHandler handler, CancellationToken cancellationToken);
}

/// <summary>Handles one message; the returned value is the reply to a call (ignored for a cast).</summary>
public delegate Task<JsonElement?> BusHandler(BusEnvelope message, CancellationToken cancellationToken);
