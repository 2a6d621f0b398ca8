using Hoard.Server.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Hoard.Server.Dashboard.Session;

/// <summary>A session lasts as long as its token: a revoked or expired token signs the browser out at its next request.</summary>
internal sealed class SessionValidation(ITokenValidator tokens) : CookieAuthenticationEvents
{
    public override async Task ValidatePrincipal(CookieValidatePrincipalContext context)
    {
        var user = context.Principal is null ? null : DashboardUser.From(context.Principal);
        bool valid;
        try
        {
            valid = user is not null && await tokens.ValidateAsync(user.Token, context.HttpContext.RequestAborted) is not null;
        }
        catch (IdentityUnavailableException)
        {
            // An external Keystone that cannot be asked is not a reason to sign anyone out: the pages' API calls say 503.
            return;
        }

        if (!valid)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync();
        }
    }
}
