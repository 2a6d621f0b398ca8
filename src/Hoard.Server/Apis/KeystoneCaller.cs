using Hoard.Core.Identity;
using Hoard.Server.Identity;

namespace Hoard.Server.Apis;

/// <summary>
/// Who calls the identity admin API. An admin is a token holding the admin role (Keystone's default policy: the role
/// on any project is cloud admin); everybody else may only read what concerns themselves.
/// </summary>
internal sealed record KeystoneCaller(TokenInfo Token)
{
    private const string ItemKey = "hoard.keystone.caller";

    public bool IsAdmin => Token.IsAdmin;

    public bool Is(string userId) => string.Equals(Token.UserId, userId, StringComparison.Ordinal);

    /// <summary>The caller that <see cref="Authenticate"/> found for this request.</summary>
    public static KeystoneCaller Of(HttpRequest request) =>
        request.HttpContext.Items[ItemKey] as KeystoneCaller ?? throw new InvalidOperationException("The route has no Authenticate filter.");

    /// <summary>Endpoint filter: 401 in Keystone's format unless <c>X-Auth-Token</c> is a valid token.</summary>
    public static async ValueTask<object?> Authenticate(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var tokens = http.RequestServices.GetRequiredService<TokenService>();
        var info = await tokens.ValidateAsync(http.Request.Headers["X-Auth-Token"].ToString(), http.RequestAborted);
        if (info is null)
        {
            return KeystoneReply.Unauthorized();
        }

        http.Items[ItemKey] = new KeystoneCaller(info);
        return await next(context);
    }

    /// <summary>Endpoint filter after <see cref="Authenticate"/>: 403 in Keystone's format unless the caller is an admin.</summary>
    public static ValueTask<object?> RequireAdmin(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        Of(context.HttpContext.Request).IsAdmin ? next(context) : ValueTask.FromResult<object?>(KeystoneReply.Forbidden());
}
