using System.Globalization;
using System.Text.Json.Nodes;
using Hoard.Core.Identity;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Hoard.Server.Identity;
using Hoard.Server.RateLimiting;
using Hoard.Server.Trove;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Apis;

/// <summary>
/// The Keystone v3 subset that OpenStack clients need to log in: discovery, password (and token) authentication
/// scoped to a project, token validation and revocation, and a catalog whose <c>database</c> endpoint is this server;
/// and the admin API's domains, projects, users and roles (Identity*Api).
/// </summary>
internal static class IdentityApi
{
    public const string DomainId = KeystoneBodies.DomainId;
    public const string DomainName = KeystoneBodies.DomainName;

    public static void MapIdentityApi(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetRequiredService<IOptions<HoardOptions>>().Value.Identity.IsKeystone)
        {
            // Clients log in to the external Keystone; answering /v3 here too would hand out tokens nobody checks.
            return;
        }

        app.MapGet("/v3", Discovery);
        app.MapPost("/v3/auth/tokens", IssueAsync);
        app.MapGet("/v3/auth/tokens", ValidateAsync);
        app.MapMethods("/v3/auth/tokens", ["HEAD"], ValidateAsync);
        app.MapDelete("/v3/auth/tokens", RevokeAsync);
        var admin = app.MapGroup("/v3").AddEndpointFilter(KeystoneCaller.Authenticate).AddEndpointFilter(KeystoneInput.Filter);
        admin.MapIdentityDomainsApi();
        admin.MapIdentityProjectsApi();
        admin.MapIdentityUsersApi();
        admin.MapIdentityRolesApi();
        admin.MapIdentityApplicationCredentialsApi();
    }

    private static IResult Discovery(IOptions<HoardOptions> options) => KeystoneReply.Json(new JsonObject
    {
        ["version"] = new JsonObject
        {
            ["id"] = "v3.14", ["status"] = "stable", ["updated"] = "2020-04-07T00:00:00Z",
            ["links"] = new JsonArray(new JsonObject { ["rel"] = "self", ["href"] = options.Value.BaseUrl + "/v3/" }),
            ["media-types"] = new JsonArray(new JsonObject
            {
                ["base"] = "application/json", ["type"] = "application/vnd.openstack.identity-v3+json",
            }),
        },
    });

    private static async Task<IResult> IssueAsync(HttpRequest request, IdentityStore store, ApplicationCredentialStore credentials,
        TokenService tokens, LoginThrottle throttle, IOptions<HoardOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        JsonObject? auth;
        try
        {
            auth = (await JsonNode.ParseAsync(request.Body, cancellationToken: cancellationToken))?["auth"] as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            auth = null;
        }

        var identity = auth?["identity"] as JsonObject;
        var methods = (identity?["methods"] as JsonArray)?.Select(m => m?.ToString()).ToList() ?? [];
        if (identity is null || methods.Count == 0)
        {
            return KeystoneReply.Error(400, "Bad Request", "Expecting to find identity in auth.");
        }

        if (methods.Contains("application_credential"))
        {
            return await ApplicationCredentialLogin.IssueAsync(request, auth!, store, credentials, tokens, throttle, options.Value, time,
                cancellationToken);
        }

        UserAccount? user = null;
        if (methods.Contains("password") && identity["password"]?["user"] is JsonObject u)
        {
            var domain = DomainOf(u["domain"] as JsonObject);
            var password = u["password"]?.ToString() ?? "";
            user = domain is null ? null : await store.FindUserAsync(domain, u["id"]?.ToString(), u["name"]?.ToString(), cancellationToken);
            // A locked-out name is refused even with the right password, exactly as a wrong one is.
            var verified = user is not null && user.Enabled && PasswordHasher.Verify(password, user.PasswordHash);
            if (!throttle.Admit(domain, u["id"]?.ToString(), u["name"]?.ToString(), verified) || user is null)
            {
                return KeystoneReply.Unauthorized();
            }
        }
        else if (methods.Contains("token") && identity["token"]?["id"]?.ToString() is { } existing)
        {
            var info = await tokens.ValidateAsync(existing, cancellationToken);
            if (info?.ApplicationCredential is not null)
            {
                // Otherwise a restricted credential's token would buy a token with all of its user's roles, anywhere.
                return KeystoneReply.Error(403, "Forbidden", "A token from an application credential cannot be exchanged for another token.");
            }

            user = info is null ? null : await store.FindUserAsync(DomainId, info.UserId, null, cancellationToken);
            if (user is null)
            {
                return KeystoneReply.Unauthorized();
            }
        }
        else
        {
            return KeystoneReply.Unauthorized();
        }

        var scope = auth?["scope"]?["project"] as JsonObject;
        Project? project = null;
        if (scope is not null)
        {
            var domain = DomainOf(scope["domain"] as JsonObject) ?? DomainId;
            project = await store.FindProjectAsync(domain, scope["id"]?.ToString(), scope["name"]?.ToString(), cancellationToken);
        }
        else
        {
            // Unscoped requests get the user's first project: Hoard issues only project-scoped tokens.
            foreach (var candidate in await store.ListProjectsForUserAsync(user.Id, cancellationToken))
            {
                project = candidate;
                break;
            }
        }

        if (project is null || !project.Enabled || (await store.GetRolesAsync(user.Id, project.Id, cancellationToken)).Count == 0)
        {
            return KeystoneReply.Unauthorized();
        }

        var (token, tokenInfo) = await tokens.IssueAsync(user, project, cancellationToken);
        request.HttpContext.Response.Headers["X-Subject-Token"] = token;
        return KeystoneReply.Json(TokenBody(tokenInfo, methods, options.Value), 201);
    }

    private static async Task<IResult> ValidateAsync(HttpRequest request, TokenService tokens, IOptions<HoardOptions> options,
        CancellationToken cancellationToken)
    {
        var caller = await tokens.ValidateAsync(request.Headers["X-Auth-Token"].ToString(), cancellationToken);
        if (caller is null)
        {
            return KeystoneReply.Unauthorized();
        }

        var subjectToken = request.Headers["X-Subject-Token"].ToString();
        var subject = await tokens.ValidateAsync(subjectToken, cancellationToken);
        if (subject is null)
        {
            return KeystoneReply.Error(404, "Not Found", "Could not find token.");
        }

        request.HttpContext.Response.Headers["X-Subject-Token"] = subjectToken;
        return KeystoneReply.Json(TokenBody(subject, [subject.ApplicationCredential is null ? "password" : "application_credential"], options.Value));
    }

    private static async Task<IResult> RevokeAsync(HttpRequest request, TokenService tokens, CancellationToken cancellationToken)
    {
        var caller = await tokens.ValidateAsync(request.Headers["X-Auth-Token"].ToString(), cancellationToken);
        if (caller is null)
        {
            return KeystoneReply.Unauthorized();
        }

        var subject = request.Headers["X-Subject-Token"].ToString();
        var info = await tokens.ValidateAsync(subject, cancellationToken);
        if (info is null)
        {
            return KeystoneReply.Error(404, "Not Found", "Could not find token.");
        }

        if (info.UserId != caller.UserId && !caller.IsAdmin)
        {
            return KeystoneReply.Forbidden();
        }

        await tokens.RevokeAsync(subject, cancellationToken);
        return Results.StatusCode(204);
    }

    internal static string? DomainOf(JsonObject? domain) => domain switch
    {
        null => DomainId,
        _ when domain["id"]?.ToString() is { } id => id == DomainId ? DomainId : null,
        _ when domain["name"]?.ToString() is { } name => string.Equals(name, DomainName, StringComparison.OrdinalIgnoreCase) ? DomainId : null,
        _ => DomainId,
    };

    internal static JsonObject TokenBody(TokenInfo info, IEnumerable<string?> methods, HoardOptions options)
    {
        var domain = () => new JsonObject { ["id"] = DomainId, ["name"] = DomainName };
        var body = new JsonObject
        {
            ["token"] = new JsonObject
            {
                ["methods"] = new JsonArray([.. methods.Select(m => (JsonNode?)m)]),
                ["issued_at"] = Time(info.IssuedAt),
                ["expires_at"] = Time(info.ExpiresAt),
                ["audit_ids"] = new JsonArray(Guid.NewGuid().ToString("N")[..22]),
                ["user"] = new JsonObject
                {
                    ["id"] = info.UserId, ["name"] = info.UserName, ["domain"] = domain(), ["password_expires_at"] = null,
                },
                ["project"] = new JsonObject { ["id"] = info.ProjectId, ["name"] = info.ProjectName, ["domain"] = domain() },
                ["is_domain"] = false,
                ["roles"] = new JsonArray([.. info.Roles.Select(r => (JsonNode)new JsonObject { ["id"] = r, ["name"] = r })]),
                ["catalog"] = Catalog(info.ProjectId, options),
            },
        };
        if (info.ApplicationCredential is { } credential)
        {
            body["token"]!["application_credential"] = new JsonObject
            {
                ["id"] = credential.Id, ["name"] = credential.Name, ["restricted"] = !credential.Unrestricted,
            };
        }

        return body;
    }

    private static JsonArray Catalog(string projectId, HoardOptions options)
    {
        JsonArray Endpoints(string service, string url) => new(
            [.. new[] { "public", "internal", "admin" }.Select(i => (JsonNode)new JsonObject
            {
                ["id"] = $"{service}-{i}", ["interface"] = i, ["region"] = options.Region, ["region_id"] = options.Region, ["url"] = url,
            })]);

        return
        [
            new JsonObject
            {
                ["type"] = "database", ["name"] = "trove", ["id"] = "hoard-database",
                ["endpoints"] = Endpoints("database", $"{options.BaseUrl}/v1.0/{projectId}"),
            },
            new JsonObject
            {
                ["type"] = "identity", ["name"] = "keystone", ["id"] = "hoard-identity",
                ["endpoints"] = Endpoints("identity", $"{options.BaseUrl}/v3"),
            },
            new JsonObject
            {
                // Published guest logs only (GuestLogObjectsApi), for openstack database log tail|save.
                ["type"] = "object-store", ["name"] = "swift", ["id"] = "hoard-object-store",
                ["endpoints"] = Endpoints("object-store", GuestLogObjectsApi.AccountUrl(options.BaseUrl, projectId)),
            },
        ];
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture);
}
