using Hoard.Contracts.Bus;
using Microsoft.Extensions.Logging;

namespace Hoard.Messaging;

/// <summary>Runs a handler and turns its outcome into the reply a call expects.</summary>
internal static class HandlerInvoker
{
    public static async Task<BusEnvelope?> InvokeAsync(BusHandler handler, BusEnvelope message, TimeProvider time,
        ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            var result = await handler(message, cancellationToken);
            return message.Kind == BusKinds.Call ? Reply(message, time) with { Args = result } : null;
        }
        catch (HandlerException e)
        {
            return message.Kind == BusKinds.Call ? Reply(message, time) with { ErrorCode = e.Code, Error = e.Message } : null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Only the method name is logged: arguments may carry passwords.
            logger.LogError(e, "Handler for {Method} on {Topic} failed", message.Method, message.Topic);
            return message.Kind == BusKinds.Call
                ? Reply(message, time) with { ErrorCode = "Internal", Error = e.Message }
                : null;
        }
    }

    private static BusEnvelope Reply(BusEnvelope call, TimeProvider time) => new()
    {
        Kind = BusKinds.Reply,
        Topic = call.ReplyTo ?? "",
        Method = call.Method,
        CorrelationId = call.CorrelationId,
        Sent = time.GetUtcNow(),
    };
}
