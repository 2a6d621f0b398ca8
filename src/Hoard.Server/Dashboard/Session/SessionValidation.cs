using Hoard.Server.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Hoard.Server.Dashboard.Session;

/// <summary>A session lasts as long as its token: a revoked or expired token signs the browser out at its next request.</summary>
internal sealed class SessionValidation(TokenService tokens) : CookieAuthenticationEvents
{
    public override async Task ValidatePrincipal(CookieValidatePrincipalContext context)
    {
        var user = context.Principal is null ? null : DashboardUser.From(context.Principal);
        if (user is null || await tokens.ValidateAsync(user.Token, context.HttpContext.RequestAborted) is null)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync();
        }
    }
}
