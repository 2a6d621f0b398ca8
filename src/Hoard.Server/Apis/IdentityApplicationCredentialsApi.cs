using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hoard.Core.Identity;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Hoard.Server.Identity;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Apis;

/// <summary>
/// Keystone's <c>/v3/users/{user_id}/application_credentials</c>: a user makes secrets for automation that log in to the
/// project of the token that made them, with a subset of that token's roles. Only the owner creates (Keystone's default
/// policy); the owner or an admin lists, shows and deletes. A token from a restricted credential manages none.
/// </summary>
internal static class IdentityApplicationCredentialsApi
{
    private const string Kind = "application_credential";

    public static void MapIdentityApplicationCredentialsApi(this RouteGroupBuilder v3)
    {
        v3.MapGet("/users/{userId}/application_credentials", ListAsync);
        v3.MapPost("/users/{userId}/application_credentials", CreateAsync);
        v3.MapGet("/users/{userId}/application_credentials/{id}", ShowAsync);
        v3.MapDelete("/users/{userId}/application_credentials/{id}", DeleteAsync);
    }

    private static async Task<IResult> ListAsync(HttpRequest request, string userId, string? name, ApplicationCredentialStore store,
        IOptions<HoardOptions> options, CancellationToken cancellationToken)
    {
        if (!OwnerOrAdmin(request, userId))
        {
            return KeystoneReply.Forbidden();
        }

        var credentials = await store.ListAsync(userId, name, cancellationToken);
        return KeystoneReply.List(request, "application_credentials", credentials.Select(c => Body(c, options.Value.BaseUrl)));
    }

    private static async Task<IResult> ShowAsync(HttpRequest request, string userId, string id, ApplicationCredentialStore store,
        IOptions<HoardOptions> options, CancellationToken cancellationToken)
    {
        if (!OwnerOrAdmin(request, userId))
        {
            return KeystoneReply.Forbidden();
        }

        return await store.FindAsync(userId, id, cancellationToken) is { } credential
            ? KeystoneReply.Json(new JsonObject { [Kind] = Body(credential, options.Value.BaseUrl) })
            : KeystoneReply.NotFound("Application Credential", id);
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, string userId, ApplicationCredentialStore store,
        IOptions<HoardOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = KeystoneCaller.Of(request);
        if (!caller.Is(userId))
        {
            return KeystoneReply.Forbidden();
        }

        if (!caller.Token.MayManageApplicationCredentials)
        {
            return RestrictedRefusal();
        }

        var body = await KeystoneReply.ReadAsync(request, Kind, cancellationToken)
                   ?? throw new KeystoneInputException("Expecting to find application_credential in request body.");
        var name = KeystoneInput.Name(body, "application credential") ?? throw new KeystoneInputException("'name' is a required property.");
        if (body["access_rules"] is JsonArray { Count: > 0 })
        {
            throw new KeystoneInputException("Hoard does not support access rules on application credentials.");
        }

        var secret = KeystoneInput.Password(body, "secret") ?? Secrets.NewToken();
        var expires = ExpiresAt(body, time.GetUtcNow());
        var roles = RequestedRoles(body, caller.Token, out var refusal);
        if (refusal is not null)
        {
            return refusal;
        }

        var credential = new ApplicationCredentialEntry(Guid.NewGuid().ToString("N"), userId, caller.Token.ProjectId, name,
            KeystoneInput.Description(body) ?? "", roles, Unrestricted(body), expires);
        // The same KDF as passwords: a secret may be chosen by its user, and the cost is paid once per token, not per request.
        if (!await store.CreateAsync(credential, PasswordHasher.Hash(secret), cancellationToken))
        {
            return KeystoneReply.Conflict(Kind, name);
        }

        var shown = Body(credential, options.Value.BaseUrl);
        shown["secret"] = secret;
        return KeystoneReply.Json(new JsonObject { [Kind] = shown }, 201);
    }

    private static async Task<IResult> DeleteAsync(HttpRequest request, string userId, string id, ApplicationCredentialStore store,
        CancellationToken cancellationToken)
    {
        if (!OwnerOrAdmin(request, userId))
        {
            return KeystoneReply.Forbidden();
        }

        if (!KeystoneCaller.Of(request).Token.MayManageApplicationCredentials)
        {
            return RestrictedRefusal();
        }

        return await store.DeleteAsync(userId, id, cancellationToken) ? KeystoneReply.NoContent() : KeystoneReply.NotFound("Application Credential", id);
    }

    private static bool OwnerOrAdmin(HttpRequest request, string userId)
    {
        var caller = KeystoneCaller.Of(request);
        return caller.IsAdmin || caller.Is(userId);
    }

    private static IResult RestrictedRefusal() => KeystoneReply.Error(403, "Forbidden",
        "You are not authorized to perform the requested action: Using method 'application_credential' is not allowed for managing additional application credentials.");

    /// <summary>
    /// By id or name (a role's id is its name here), each held by the creating token or implied by one it holds (admin
    /// implies member, member implies reader, as in Keystone); absent, every role of the creating token.
    /// </summary>
    private static IReadOnlyList<string> RequestedRoles(JsonObject body, TokenInfo token, out IResult? refusal)
    {
        refusal = null;
        if (body["roles"] is null)
        {
            return token.Roles;
        }

        if (body["roles"] is not JsonArray list || list.Count == 0)
        {
            throw new KeystoneInputException("Invalid 'roles': expected a non-empty list of {\"id\": …} or {\"name\": …}.");
        }

        var held = RoleNames.WithImplied(token.Roles);
        var roles = new List<string>();
        foreach (var item in list)
        {
            var role = item is JsonObject o ? KeystoneInput.Id(o, "id") ?? KeystoneInput.Id(o, "name") : null;
            if (role is null)
            {
                throw new KeystoneInputException("Invalid 'roles': each role needs an 'id' or a 'name'.");
            }

            if (!KeystoneBodies.Roles.Contains(role))
            {
                refusal = KeystoneReply.Error(404, "Not Found", $"Role {role} is not defined");
                return [];
            }

            if (!held.Contains(role))
            {
                refusal = KeystoneReply.Error(404, "Not Found",
                    $"Could not find role assignment with role: {role}, user or group: {token.UserId}, project, domain, or system: {token.ProjectId}.");
                return [];
            }

            if (!roles.Contains(role))
            {
                roles.Add(role);
            }
        }

        return roles;
    }

    private static DateTimeOffset? ExpiresAt(JsonObject body, DateTimeOffset now)
    {
        if (body["expires_at"] is null)
        {
            return null;
        }

        var text = KeystoneInput.Id(body, "expires_at");
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expires))
        {
            throw new KeystoneInputException("Invalid 'expires_at': expected an ISO 8601 time such as 2030-01-01T00:00:00.");
        }

        return expires <= now ? throw new KeystoneInputException("The 'expires_at' must not be before now.") : expires;
    }

    private static bool Unrestricted(JsonObject body) => body["unrestricted"] switch
    {
        null => false,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        _ => throw new KeystoneInputException("Invalid 'unrestricted': expected true or false."),
    };

    private static JsonObject Body(ApplicationCredentialEntry c, string baseUrl) => new()
    {
        ["id"] = c.Id, ["name"] = c.Name, ["description"] = c.Description.Length == 0 ? null : c.Description, ["user_id"] = c.UserId,
        ["project_id"] = c.ProjectId, ["system"] = null,
        ["expires_at"] = c.ExpiresAt?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffff", CultureInfo.InvariantCulture),
        ["unrestricted"] = c.Unrestricted,
        ["roles"] = new JsonArray([.. c.Roles.Select(r => (JsonNode)KeystoneBodies.Role(r, baseUrl))]),
        ["links"] = new JsonObject { ["self"] = $"{baseUrl}/v3/application_credentials/{c.Id}" },
    };
}
