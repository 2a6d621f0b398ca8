using System.Text.Json.Nodes;
using Hoard.Core.Identity;
using Hoard.Server.Hosting;
using Hoard.Server.Trove;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Identity;

/// <summary>
/// Guards <c>/v1.0/{project_id}/…</c>: a valid token is required (401 in keystonemiddleware's format), and its
/// project must be the one in the path (403, as Trove answers). An external Keystone that cannot be asked is a 503.
/// </summary>
internal sealed class TroveAuthMiddleware(RequestDelegate next, ITokenValidator tokens, IOptions<HoardOptions> options)
{
    public const string TokenKey = "hoard.token";

    public async Task InvokeAsync(HttpContext context)
    {
        var segments = context.Request.Path.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries) ?? [];
        if (segments is not ["v1.0", var projectId, ..])
        {
            await next(context);
            return;
        }

        var token = context.Request.Headers["X-Auth-Token"].ToString();
        TokenInfo? info;
        try
        {
            info = token.Length == 0 ? null : await tokens.ValidateAsync(token, context.RequestAborted);
        }
        catch (IdentityUnavailableException e)
        {
            await Reply.WriteFaultAsync(context, TroveFault.Unavailable(e.Message));
            return;
        }

        if (info is null)
        {
            var o = options.Value;
            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = $"Keystone uri=\"{(o.Identity.IsKeystone ? o.Keystone.BaseUrl : o.BaseUrl)}/v3\"";
            context.Response.ContentType = "application/json";
            var body = new JsonObject
            {
                ["error"] = new JsonObject
                {
                    ["code"] = 401, ["title"] = "Unauthorized",
                    ["message"] = "The request you have made requires authentication.",
                },
            };
            await context.Response.WriteAsync(body.ToJsonString());
            return;
        }

        if (!string.Equals(info.ProjectId, projectId, StringComparison.Ordinal))
        {
            await Reply.WriteFaultAsync(context, TroveFault.Forbidden($"User with tenant id {info.ProjectId} cannot access this resource."));
            return;
        }

        context.Items[TokenKey] = info;
        await next(context);
    }
}

internal static class HttpContextTokenExtensions
{
    public static TokenInfo Token(this HttpContext context) =>
        context.Items[TroveAuthMiddleware.TokenKey] as TokenInfo ?? throw TroveFault.Unauthorized("Authentication required.");
}
