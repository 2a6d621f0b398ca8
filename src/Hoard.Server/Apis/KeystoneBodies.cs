using System.Text.Json.Nodes;
using Hoard.Core.Identity;
using Hoard.Persistence;

namespace Hoard.Server.Apis;

/// <summary>Keystone v3's resource shapes for the one domain, projects, users, roles and role assignments.</summary>
internal static class KeystoneBodies
{
    public const string DomainId = "default";
    public const string DomainName = "Default";

    public static readonly IReadOnlyList<string> Roles = [RoleNames.Admin, RoleNames.Member, RoleNames.Reader];

    public static JsonObject Domain(string baseUrl) => new()
    {
        ["id"] = DomainId, ["name"] = DomainName, ["description"] = "The default domain", ["enabled"] = true,
        ["tags"] = new JsonArray(), ["options"] = new JsonObject(), ["links"] = Self(baseUrl, "domains", DomainId),
    };

    public static JsonObject DomainRef() => new() { ["id"] = DomainId, ["name"] = DomainName };

    public static JsonObject Project(ProjectEntry p, string baseUrl) => new()
    {
        ["id"] = p.Id, ["name"] = p.Name, ["domain_id"] = p.DomainId, ["description"] = p.Description, ["enabled"] = p.Enabled,
        ["is_domain"] = false, ["parent_id"] = p.DomainId, ["tags"] = new JsonArray(), ["options"] = new JsonObject(),
        ["links"] = Self(baseUrl, "projects", p.Id),
    };

    public static JsonObject User(UserEntry u, string baseUrl)
    {
        var body = new JsonObject
        {
            ["id"] = u.Id, ["name"] = u.Name, ["domain_id"] = u.DomainId, ["enabled"] = u.Enabled, ["password_expires_at"] = null,
            ["options"] = new JsonObject(), ["links"] = Self(baseUrl, "users", u.Id),
        };
        if (u.DefaultProjectId is not null)
        {
            body["default_project_id"] = u.DefaultProjectId;
        }

        return body;
    }

    public static JsonObject Role(string name, string baseUrl) => new()
    {
        ["id"] = name, ["name"] = name, ["domain_id"] = null, ["description"] = null, ["options"] = new JsonObject(),
        ["links"] = Self(baseUrl, "roles", name),
    };

    public static JsonObject Assignment(RoleAssignment a, bool names, string baseUrl)
    {
        JsonObject Named(string id, string name) => names
            ? new JsonObject { ["id"] = id, ["name"] = name, ["domain"] = DomainRef() }
            : new JsonObject { ["id"] = id };
        return new JsonObject
        {
            ["role"] = names ? new JsonObject { ["id"] = a.Role, ["name"] = a.Role } : new JsonObject { ["id"] = a.Role },
            ["user"] = Named(a.UserId, a.UserName),
            ["scope"] = new JsonObject { ["project"] = Named(a.ProjectId, a.ProjectName) },
            ["links"] = new JsonObject
            {
                ["assignment"] = $"{baseUrl}/v3/projects/{a.ProjectId}/users/{a.UserId}/roles/{a.Role}",
            },
        };
    }

    private static JsonObject Self(string baseUrl, string collection, string id) => new() { ["self"] = $"{baseUrl}/v3/{collection}/{id}" };
}
