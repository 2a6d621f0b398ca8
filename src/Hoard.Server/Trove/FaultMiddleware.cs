using System.Text.Json;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;

namespace Hoard.Server.Trove;

/// <summary>
/// Turns every failure into Trove's fault body. Expected faults keep their code; guest errors map to the
/// Trove exception they stand for; anything unexpected is logged with an id the user can quote.
/// </summary>
internal sealed partial class FaultMiddleware(RequestDelegate next, ILogger<FaultMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
            if (context.Response is { StatusCode: 404 or 405, HasStarted: false } && context.GetEndpoint() is null)
            {
                await Reply.WriteFaultAsync(context, context.Response.StatusCode == 405
                    ? new TroveFault(405, "badMethod", "The method is not allowed for this resource.")
                    : TroveFault.NotFound("The resource could not be found."));
            }
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            await Reply.WriteFaultAsync(context, Translate(e));
        }
    }

    private TroveFault Translate(Exception e)
    {
        switch (e)
        {
            case TroveFault fault:
                return fault;
            case JsonException or BadHttpRequestException:
                return TroveFault.BadRequest("The request body is not valid JSON.");
            case RemoteCallException remote:
                return remote.Code switch
                {
                    GuestErrorCodes.BadRequest or GuestErrorCodes.DatabaseAlreadyExists or GuestErrorCodes.UserAlreadyExists
                        => TroveFault.BadRequest(remote.Message),
                    GuestErrorCodes.DatabaseNotFound or GuestErrorCodes.UserNotFound => TroveFault.NotFound(remote.Message),
                    GuestErrorCodes.NotReady => TroveFault.Unprocessable(remote.Message),
                    GuestErrorCodes.NotSupported => TroveFault.NotImplemented(remote.Message),
                    _ => Internal(e),
                };
            case BusTimeoutException:
                return TroveFault.Unavailable("The instance's guest agent did not answer in time; try again shortly.");
            case Identity.IdentityUnavailableException identity:
                return TroveFault.Unavailable(identity.Message);
            default:
                return Internal(e);
        }
    }

    private TroveFault Internal(Exception e)
    {
        var id = Guid.NewGuid().ToString();
        LogUnexpected(e, id);
        return new TroveFault(500, "instanceFault",
            $"Internal Server Error. Please keep this ID to help us figure out what went wrong: ({id}).");
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected error {FaultId}")]
    private partial void LogUnexpected(Exception e, string faultId);
}
