using System.Globalization;
using System.Text.Json.Nodes;

namespace Hoard.Cli.Http;

/// <summary>Keystone v3: a password log-in scoped to a project (the token comes back in <c>X-Subject-Token</c>), and revocation.</summary>
internal sealed class KeystoneClient(HttpClient http)
{
    public async Task<Session> LoginAsync(Credentials credentials, CancellationToken cancellationToken)
    {
        var authUrl = NormalizeAuthUrl(credentials.AuthUrl);
        var body = new JsonObject { ["auth"] = Auth(credentials) };
        JsonResponse response;
        try
        {
            response = await JsonHttp.SendAsync(http, HttpMethod.Post, new Uri(authUrl + "/auth/tokens"), null, body, cancellationToken);
        }
        catch (CliException e) when (e.ExitCode is ExitCodes.Auth or ExitCodes.NotFound)
        {
            throw CliException.Auth($"Login of {credentials.Who} failed: {e.Message}");
        }

        var token = response.Headers.TryGetValues("X-Subject-Token", out var values) ? values.FirstOrDefault() : null;
        var info = response.Body?["token"] as JsonObject;
        if (string.IsNullOrEmpty(token) || info is null)
        {
            throw CliException.Auth($"{authUrl} answered the log-in without a token.");
        }

        return new Session(authUrl, token,
            DateTimeOffset.Parse(info["expires_at"]!.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
            info["user"]?["name"]?.ToString() ?? credentials.UserName,
            info["project"]?["id"]?.ToString() ?? throw CliException.Auth("The token is not scoped to a project."),
            info["project"]?["name"]?.ToString() ?? credentials.ProjectName,
            DatabaseEndpoint(info["catalog"] as JsonArray) ?? throw CliException.Auth($"The service catalog of {authUrl} has no database endpoint."),
            [.. (info["roles"] as JsonArray ?? []).Select(r => r?["name"]?.ToString()).OfType<string>()]);
    }

    public async Task RevokeAsync(Session session, CancellationToken cancellationToken) =>
        await JsonHttp.SendAsync(http, HttpMethod.Delete, new Uri(session.AuthUrl + "/auth/tokens"), session.Token, null, cancellationToken,
            [KeyValuePair.Create("X-Subject-Token", session.Token)]);

    /// <summary>A password scoped to a project, or an application credential (whose project is its own: no scope).</summary>
    private static JsonObject Auth(Credentials credentials)
    {
        if (credentials.ApplicationCredentialId is { } id)
        {
            return new JsonObject
            {
                ["identity"] = new JsonObject
                {
                    ["methods"] = new JsonArray("application_credential"),
                    ["application_credential"] = new JsonObject { ["id"] = id, ["secret"] = credentials.Password },
                },
            };
        }

        return new JsonObject
        {
            ["identity"] = new JsonObject
            {
                ["methods"] = new JsonArray("password"),
                ["password"] = new JsonObject
                {
                    ["user"] = new JsonObject
                    {
                        ["name"] = credentials.UserName, ["domain"] = new JsonObject { ["name"] = credentials.UserDomain },
                        ["password"] = credentials.Password,
                    },
                },
            },
            ["scope"] = new JsonObject
            {
                ["project"] = new JsonObject { ["name"] = credentials.ProjectName, ["domain"] = new JsonObject { ["name"] = credentials.ProjectDomain } },
            },
        };
    }

    /// <summary>OpenStack clients accept the identity URL with or without its <c>/v3</c>.</summary>
    public static string NormalizeAuthUrl(string authUrl)
    {
        var trimmed = authUrl.TrimEnd('/');
        if (!Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw CliException.Usage($"'{authUrl}' is not an http(s) URL for the identity service.");
        }

        return trimmed.EndsWith("/v3", StringComparison.Ordinal) ? trimmed : trimmed + "/v3";
    }

    private static string? DatabaseEndpoint(JsonArray? catalog) =>
        catalog?.OfType<JsonObject>()
            .Where(s => s["type"]?.ToString() == "database")
            .SelectMany(s => (s["endpoints"] as JsonArray ?? []).OfType<JsonObject>())
            .OrderBy(e => e["interface"]?.ToString() == "public" ? 0 : 1)
            .Select(e => e["url"]?.ToString()?.TrimEnd('/'))
            .FirstOrDefault(u => !string.IsNullOrEmpty(u));
}
