using System.Text.Json.Nodes;
using Hoard.Messaging.RabbitMq;
using Hoard.Server.Hosting;
using Hoard.Server.Identity;
using Hoard.Server.Trove;

namespace Hoard.Server.Apis;

/// <summary>
/// A host agent's own broker user, made by an admin before the agent first starts (it needs the credentials to
/// connect at all): <c>POST /v1.0/{project}/mgmt/hosts/{name}/broker-user</c> makes <c>hoard-host-&lt;name&gt;</c>, or
/// gives it a new password, and answers the password, once; <c>DELETE</c> removes it (the agent is cut off). The user may
/// consume only the agent's topic and its reply queue and publish only reports (topic <c>hosts</c>) and replies.
/// </summary>
internal static class MgmtHostBrokerUsersApi
{
    public static void MapMgmtHostBrokerUsersApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1.0/{projectId}/mgmt/hosts/{name}/broker-user");
        group.MapPost("", CreateAsync);
        group.MapDelete("", DeleteAsync);
    }

    private static async Task<IResult> CreateAsync(HttpContext http, string name, BrokerUsers broker, CancellationToken cancellationToken)
    {
        Validate(http, name, broker);
        var password = Secrets.NewToken();
        await broker.PutHostAsync(name, password, cancellationToken);
        return Reply.Json(new JsonObject
        {
            ["broker_user"] = new JsonObject
            {
                ["name"] = BrokerNames.HostUser(name), ["password"] = password, ["vhost"] = broker.Vhost,
            },
        }, 201);
    }

    private static async Task<IResult> DeleteAsync(HttpContext http, string name, BrokerUsers broker, CancellationToken cancellationToken)
    {
        Validate(http, name, broker);
        await broker.DeleteHostAsync(name, cancellationToken);
        return Reply.NoContent();
    }

    private static void Validate(HttpContext http, string name, BrokerUsers broker)
    {
        if (!http.Token().IsAdmin)
        {
            throw TroveFault.Unauthorized("User does not have admin privileges.");
        }

        // The host agent's own rule for its name.
        if (name.Length is 0 or > 64 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            throw TroveFault.BadRequest("A host name is 1 to 64 letters, digits, '-' or '_'.");
        }

        if (!broker.Enabled)
        {
            throw TroveFault.BadRequest(
                "Broker users need Hoard:Bus=rabbitmq and Hoard:RabbitMq:ManagementUrl; without them every host agent uses the server's broker user.");
        }
    }
}
