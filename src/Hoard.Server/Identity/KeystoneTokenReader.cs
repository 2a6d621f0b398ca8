using System.Globalization;
using System.Text.Json.Nodes;
using Hoard.Core.Identity;

namespace Hoard.Server.Identity;

/// <summary>
/// Turns Keystone's token body (<c>GET /v3/auth/tokens</c>) into the caller the policy knows: user, project, and the
/// roles admin, member and reader. Keystone's default implied roles (admin implies member, member implies reader) are
/// applied here too, in case a deployment's token lists only the assigned role; other roles are ignored.
/// </summary>
internal static class KeystoneTokenReader
{
    /// <summary>The caller, or null for a token Hoard cannot use: one not scoped to a project.</summary>
    public static TokenInfo? Read(JsonNode? body)
    {
        var token = body?["token"];
        var user = token?["user"];
        var project = token?["project"];
        if (Text(user?["id"]) is not { } userId || Text(project?["id"]) is not { } projectId)
        {
            return null;
        }

        var names = (token?["roles"] as JsonArray ?? []).Select(r => Text(r?["name"])?.ToLowerInvariant()).OfType<string>().ToHashSet();
        var roles = new List<string>();
        if (names.Contains(RoleNames.Admin))
        {
            roles.Add(RoleNames.Admin);
        }

        if (roles.Count > 0 || names.Contains(RoleNames.Member))
        {
            roles.Add(RoleNames.Member);
        }

        if (roles.Count > 0 || names.Contains(RoleNames.Reader))
        {
            roles.Add(RoleNames.Reader);
        }

        var credential = token?["application_credential"] is JsonObject c && Text(c["id"]) is { } credentialId
            ? new ApplicationCredentialRef(credentialId, Text(c["name"]) ?? "", c["restricted"]?.GetValue<bool>() == false)
            : null;
        return new TokenInfo(userId, Text(user?["name"]) ?? userId, projectId, Text(project?["name"]) ?? projectId, [.. roles.Order(StringComparer.Ordinal)],
            Time(token?["issued_at"]) ?? DateTimeOffset.MinValue, Time(token?["expires_at"]) ?? DateTimeOffset.MaxValue)
        {
            ApplicationCredential = credential,
        };
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : null;

    private static DateTimeOffset? Time(JsonNode? node) =>
        DateTimeOffset.TryParse(Text(node), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
}
