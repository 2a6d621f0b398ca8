using Hoard.Server.Dashboard.Api;
using Hoard.Server.Dashboard.Session;
using Hoard.Server.Hosting;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Hoard.Server.Dashboard;

/// <summary>
/// The web dashboard: Razor components (static server rendering, interactive server components where pages are live),
/// served at <c>/</c> beside the API. It is a client of the API: every call goes to the API over loopback with the
/// signed-in user's token, so the API's authorization and validation are the only rules.
/// </summary>
internal static class DashboardExtensions
{
    public static WebApplicationBuilder AddHoardDashboard(this WebApplicationBuilder builder, HoardOptions hoardOptions)
    {
        // The framework's scripts (blazor.web.js) come from a package's static web assets; outside Development they are
        // found only through the build's manifest, or in wwwroot once published (then this is a no-op).
        builder.WebHost.UseStaticWebAssets();
        var services = builder.Services;
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddCascadingAuthenticationState();
        services.AddAuthorization();
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(options =>
        {
            options.Cookie.Name = "hoard-session";
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.LoginPath = "/login";
            options.AccessDeniedPath = "/forbidden";
            options.EventsType = typeof(SessionValidation);
        });
        services.AddSessionKeys(hoardOptions.DashboardKeysDir);
        services.AddSingleton<SessionValidation>();
        services.AddSingleton<LoopbackAddress>();
        // Open pages poll every 2 s: four log lines per call would drown the server's log.
        services.AddHttpClient(HoardApi.HttpClientName).RemoveAllLoggers();
        services.AddScoped<HoardApi>();
        services.AddScoped<DashboardSignIn>();
        return builder;
    }

    public static WebApplication MapHoardDashboard(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        // GET / stays the API's version document; a browser asking for a page there is sent to the dashboard.
        app.Use((context, next) =>
        {
            if (context.Request.Path == "/" && HttpMethods.IsGet(context.Request.Method) &&
                context.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.Ordinal))
            {
                context.Response.Redirect("/instances");
                return Task.CompletedTask;
            }

            return next(context);
        });
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.MapSessionEndpoints();
        return app;
    }
}
