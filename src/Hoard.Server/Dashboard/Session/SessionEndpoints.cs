using Hoard.Server.Dashboard.Api;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc;

namespace Hoard.Server.Dashboard.Session;

/// <summary>The layout's forms: sign out, and switch to another of the user's projects (both anti-forgery checked).</summary>
internal static class SessionEndpoints
{
    public static void MapSessionEndpoints(this IEndpointRouteBuilder app)
    {
        var account = app.MapGroup("/account").RequireAuthorization().WithMetadata(new RequireAntiforgeryTokenAttribute());
        account.MapPost("/logout", async (HttpContext http, DashboardSignIn signIn, CancellationToken ct) =>
        {
            await signIn.SignOutAsync(http, ct);
            return Results.LocalRedirect("/login");
        });
        account.MapPost("/project", async ([FromForm] string projectId, HttpContext http, DashboardSignIn signIn, CancellationToken ct) =>
        {
            try
            {
                await signIn.SwitchProjectAsync(http, DashboardUser.From(http.User)!, projectId, ct);
            }
            catch (ApiError e)
            {
                return Results.Text($"The identity service refused the project: {e.Message}", statusCode: e.Status);
            }

            return Results.LocalRedirect("/instances");
        });
    }
}
