using System.Text.Json.Nodes;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Apis;

/// <summary>
/// Keystone's fixed roles (admin, member, reader; each role's id is its name), their grants on projects and
/// <c>/v3/role_assignments</c>. Removing a role revokes the user's tokens for that project.
/// </summary>
internal static class IdentityRolesApi
{
    private const string Grant = "/projects/{projectId}/users/{userId}/roles/{roleId}";

    public static void MapIdentityRolesApi(this RouteGroupBuilder v3)
    {
        v3.MapGet("/roles", List);
        v3.MapGet("/roles/{roleId}", Show);
        v3.MapPut(Grant, AddAsync).AddEndpointFilter(KeystoneCaller.RequireAdmin);
        v3.MapMethods(Grant, ["HEAD"], CheckAsync);
        v3.MapDelete(Grant, RemoveAsync).AddEndpointFilter(KeystoneCaller.RequireAdmin);
        v3.MapGet("/role_assignments", ListAssignmentsAsync);
    }

    private static IResult List(HttpRequest request, string? name, IOptions<HoardOptions> options)
    {
        var roles = KeystoneBodies.Roles.Where(r => name is null || r == name);
        return KeystoneReply.List(request, "roles", roles.Select(r => KeystoneBodies.Role(r, options.Value.BaseUrl)));
    }

    private static IResult Show(string roleId, IOptions<HoardOptions> options) =>
        KeystoneBodies.Roles.Contains(roleId)
            ? KeystoneReply.Json(new JsonObject { ["role"] = KeystoneBodies.Role(roleId, options.Value.BaseUrl) })
            : KeystoneReply.NotFound("role", roleId);

    private static async Task<IResult> AddAsync(string projectId, string userId, string roleId, IdentityStore store,
        CancellationToken cancellationToken)
    {
        if (await MissingAsync(projectId, userId, roleId, store, cancellationToken) is { } missing)
        {
            return missing;
        }

        await store.AssignRoleAsync(userId, projectId, roleId, cancellationToken);
        return KeystoneReply.NoContent();
    }

    private static async Task<IResult> CheckAsync(HttpRequest request, string projectId, string userId, string roleId, IdentityStore store,
        CancellationToken cancellationToken)
    {
        var caller = KeystoneCaller.Of(request);
        if (!caller.IsAdmin && !caller.Is(userId))
        {
            return KeystoneReply.Forbidden();
        }

        var roles = await store.GetRolesAsync(userId, projectId, cancellationToken);
        return roles.Contains(roleId) ? KeystoneReply.NoContent() : KeystoneReply.NotFound("role assignment", roleId);
    }

    private static async Task<IResult> RemoveAsync(string projectId, string userId, string roleId, IdentityStore store,
        CancellationToken cancellationToken) =>
        await store.RemoveRoleAsync(userId, projectId, roleId, cancellationToken)
            ? KeystoneReply.NoContent()
            : KeystoneReply.NotFound("role assignment", $"{roleId} of user {userId} on project {projectId}");

    /// <summary>Filters <c>user.id</c>, <c>scope.project.id</c>, <c>role.id</c>; <c>include_names</c>. Others see only their own.</summary>
    private static async Task<IResult> ListAssignmentsAsync(HttpRequest request, IdentityStore store,
        IOptions<HoardOptions> options, CancellationToken cancellationToken)
    {
        var caller = KeystoneCaller.Of(request);
        var query = request.Query;
        var userId = Filter(query, "user.id");
        if (!caller.IsAdmin && userId is not null && !caller.Is(userId))
        {
            return KeystoneReply.Forbidden();
        }

        var assignments = await store.ListRoleAssignmentsAsync(caller.IsAdmin ? userId : caller.Token.UserId,
            Filter(query, "scope.project.id"), Filter(query, "role.id"), cancellationToken);
        // keystoneclient sends include_names as a bare key or as True/true/1.
        var names = query.TryGetValue("include_names", out var flag) && flag.ToString() is "" or "1" or "True" or "true";
        return KeystoneReply.List(request, "role_assignments",
            assignments.Select(a => KeystoneBodies.Assignment(a, names, options.Value.BaseUrl)));
    }

    private static string? Filter(IQueryCollection query, string key) => query.TryGetValue(key, out var value) ? value.ToString() : null;

    private static async Task<IResult?> MissingAsync(string projectId, string userId, string roleId, IdentityStore store,
        CancellationToken cancellationToken)
    {
        if (!KeystoneBodies.Roles.Contains(roleId))
        {
            return KeystoneReply.NotFound("role", roleId);
        }

        if (await store.FindProjectEntryAsync(projectId, cancellationToken) is null)
        {
            return KeystoneReply.NotFound("project", projectId);
        }

        return await store.FindUserEntryAsync(userId, cancellationToken) is null ? KeystoneReply.NotFound("user", userId) : null;
    }
}
