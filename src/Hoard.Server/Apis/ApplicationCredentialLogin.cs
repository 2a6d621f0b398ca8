using System.Text.Json.Nodes;
using Hoard.Core.Identity;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Hoard.Server.Identity;
using Hoard.Server.RateLimiting;

namespace Hoard.Server.Apis;

/// <summary>
/// Keystone's <c>application_credential</c> auth method: by id and secret, or by name, user and secret. The token is
/// scoped to the credential's project with only its roles that the user still holds; asking for a scope is refused, as
/// Keystone refuses it.
/// </summary>
internal static class ApplicationCredentialLogin
{
    public static async Task<IResult> IssueAsync(HttpRequest request, JsonObject auth, IdentityStore store, ApplicationCredentialStore credentials,
        TokenService tokens, LoginThrottle throttle, HoardOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        if (auth["identity"]?["application_credential"] is not JsonObject given || given["secret"] is not JsonValue secretNode ||
            secretNode.GetValueKind() != System.Text.Json.JsonValueKind.String)
        {
            return KeystoneReply.BadRequest("Expecting to find application_credential with a secret in identity.");
        }

        if (auth["scope"] is not null)
        {
            return Refused("Application credentials cannot request a scope.");
        }

        var id = Text(given["id"]);
        var name = Text(given["name"]);
        var userId = id is null ? await UserIdAsync(store, given["user"] as JsonObject, cancellationToken) : null;
        var found = await credentials.FindForLoginAsync(id, userId, name, cancellationToken);
        var verified = found is { } f && PasswordHasher.Verify(secretNode.GetValue<string>(), f.SecretHash);
        // Wrong secrets count against the credential as wrong passwords count against a user name.
        if (!throttle.Admit("application_credential", id ?? userId, name, verified) || found is not { } match)
        {
            return KeystoneReply.Unauthorized();
        }

        var credential = match.Credential;
        if (credential.ExpiresAt is { } expires && expires <= time.GetUtcNow())
        {
            return Refused("Application credential has expired.");
        }

        var user = await store.FindUserAsync(IdentityApi.DomainId, credential.UserId, null, cancellationToken);
        var project = await store.FindProjectAsync(IdentityApi.DomainId, credential.ProjectId, null, cancellationToken);
        if (user is not { Enabled: true } || project is not { Enabled: true })
        {
            return KeystoneReply.Unauthorized();
        }

        var held = RoleNames.WithImplied(await store.GetRolesAsync(user.Id, project.Id, cancellationToken));
        if (!credential.Roles.All(held.Contains))
        {
            return Refused("The user no longer holds every role of the application credential.");
        }

        var (token, info) = await tokens.IssueAsync(user, project, credential, cancellationToken);
        request.HttpContext.Response.Headers["X-Subject-Token"] = token;
        return KeystoneReply.Json(IdentityApi.TokenBody(info, ["application_credential"], options), 201);
    }

    private static async Task<string?> UserIdAsync(IdentityStore store, JsonObject? user, CancellationToken cancellationToken)
    {
        if (user is null)
        {
            return null;
        }

        if (Text(user["id"]) is { } id)
        {
            return id;
        }

        var domain = IdentityApi.DomainOf(user["domain"] as JsonObject);
        var name = Text(user["name"]);
        return domain is null || name is null ? null : (await store.FindUserAsync(domain, null, name, cancellationToken))?.Id;
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : null;

    private static IResult Refused(string why) =>
        KeystoneReply.Error(401, "Unauthorized", $"Error authenticating with application credential: {why}");
}
