using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Hoard.Server.Dashboard.Api;
using Hoard.Server.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Dashboard.Session;

/// <summary>
/// Signs a browser in and out with the identity API (<c>/v3/auth/tokens</c>) over loopback, like any OpenStack client: the
/// token it issues goes, encrypted, into the session cookie.
/// </summary>
internal sealed class DashboardSignIn(IHttpClientFactory clients, LoopbackAddress loopback, IOptions<HoardOptions> options)
{
    /// <summary>hoard-server's own identity API, or the external Keystone's in keystone mode.</summary>
    private Uri TokensUrl => options.Value.Identity.IsKeystone
        ? new Uri(options.Value.Keystone.BaseUrl + "/v3/auth/tokens")
        : new Uri(loopback.Value, "/v3/auth/tokens");

    public Task PasswordAsync(HttpContext http, string userName, string password, string projectName, CancellationToken cancellationToken)
    {
        var identity = new JsonObject
        {
            ["methods"] = new JsonArray("password"),
            ["password"] = new JsonObject
            {
                ["user"] = new JsonObject { ["name"] = userName, ["domain"] = new JsonObject { ["id"] = "default" }, ["password"] = password },
            },
        };
        return SignInAsync(http, identity, new JsonObject { ["name"] = projectName, ["domain"] = new JsonObject { ["id"] = "default" } },
            cancellationToken);
    }

    /// <summary>A token for another of the user's projects, from the current one; the current token is revoked.</summary>
    public async Task SwitchProjectAsync(HttpContext http, DashboardUser current, string projectId, CancellationToken cancellationToken)
    {
        var identity = new JsonObject { ["methods"] = new JsonArray("token"), ["token"] = new JsonObject { ["id"] = current.Token } };
        await SignInAsync(http, identity, new JsonObject { ["id"] = projectId }, cancellationToken);
        await RevokeAsync(current.Token, cancellationToken);
    }

    public async Task SignOutAsync(HttpContext http, CancellationToken cancellationToken)
    {
        if (DashboardUser.From(http.User) is { } user)
        {
            await RevokeAsync(user.Token, cancellationToken);
        }

        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
    }

    private async Task SignInAsync(HttpContext http, JsonObject identity, JsonObject project, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["auth"] = new JsonObject { ["identity"] = identity, ["scope"] = new JsonObject { ["project"] = project } } };
        using var request = new HttpRequestMessage(HttpMethod.Post, TokensUrl)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        using var response = await clients.CreateClient(HoardApi.HttpClientName).SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ApiError.FromResponseAsync(response, cancellationToken);
        }

        var token = (await JsonNode.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken))?["token"]
                    ?? throw new ApiError(502, "The identity service answered without a token.");
        var user = new DashboardUser(
            Text(token["user"]?["id"]), Text(token["user"]?["name"]), Text(token["project"]?["id"]), Text(token["project"]?["name"]),
            IsAdmin: false, response.Headers.GetValues("X-Subject-Token").Single());
        var roles = (token["roles"] as JsonArray ?? []).Select(r => Text(r?["name"]));
        var expires = DateTimeOffset.Parse(Text(token["expires_at"]), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
            user.ToPrincipal(roles, CookieAuthenticationDefaults.AuthenticationScheme),
            new AuthenticationProperties { ExpiresUtc = expires, AllowRefresh = false });
    }

    private async Task RevokeAsync(string token, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, TokensUrl);
        request.Headers.Add("X-Auth-Token", token);
        request.Headers.Add("X-Subject-Token", token);
        using var response = await clients.CreateClient(HoardApi.HttpClientName).SendAsync(request, cancellationToken);
    }

    private static string Text(JsonNode? node) => node?.GetValue<string>() ?? "";
}
