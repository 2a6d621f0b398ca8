using System.Collections.Concurrent;
using System.Text.Json;
using Hoard.Contracts.Bus;

namespace Hoard.Messaging;

/// <summary>Calls waiting for their reply, keyed by correlation id.</summary>
internal sealed class PendingCalls
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<BusEnvelope>> _calls = new();

    public (string CorrelationId, Task<BusEnvelope> Reply) Register()
    {
        var id = Guid.NewGuid().ToString("N");
        var tcs = new TaskCompletionSource<BusEnvelope>(TaskCreationOptions.RunContinuationsAsynchronously);
        _calls[id] = tcs;
        return (id, tcs.Task);
    }

    public bool Complete(BusEnvelope reply) =>
        reply.CorrelationId is { } id && _calls.TryRemove(id, out var tcs) && tcs.TrySetResult(reply);

    public async Task<JsonElement?> AwaitAsync(string correlationId, Task<BusEnvelope> reply, string topic, string method,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            var envelope = await reply.WaitAsync(timeout, cancellationToken);
            if (envelope.ErrorCode is { } code)
            {
                throw new RemoteCallException(code, envelope.Error ?? code);
            }

            return envelope.Args;
        }
        catch (TimeoutException)
        {
            throw new BusTimeoutException(topic, method, timeout);
        }
        finally
        {
            _calls.TryRemove(correlationId, out _);
        }
    }
}
