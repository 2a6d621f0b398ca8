using System.Text.Json.Nodes;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Apis;

/// <summary>Keystone's <c>/v3/projects</c>: admins manage them, other users see the projects they have a role in.</summary>
internal static class IdentityProjectsApi
{
    public static void MapIdentityProjectsApi(this RouteGroupBuilder v3)
    {
        v3.MapGet("/projects", ListAsync);
        v3.MapGet("/projects/{projectId}", ShowAsync);
        v3.MapPost("/projects", CreateAsync).AddEndpointFilter(KeystoneCaller.RequireAdmin);
        v3.MapPatch("/projects/{projectId}", UpdateAsync).AddEndpointFilter(KeystoneCaller.RequireAdmin);
        v3.MapDelete("/projects/{projectId}", DeleteAsync).AddEndpointFilter(KeystoneCaller.RequireAdmin);
    }

    private static async Task<IResult> ListAsync(HttpRequest request, string? name, IdentityStore store,
        IOptions<HoardOptions> options, CancellationToken cancellationToken)
    {
        var caller = KeystoneCaller.Of(request);
        var projects = await store.ListProjectEntriesAsync(name, caller.IsAdmin ? null : caller.Token.UserId, cancellationToken);
        return KeystoneReply.List(request, "projects", projects.Select(p => KeystoneBodies.Project(p, options.Value.BaseUrl)));
    }

    private static async Task<IResult> ShowAsync(HttpRequest request, string projectId, IdentityStore store,
        IOptions<HoardOptions> options, CancellationToken cancellationToken)
    {
        var caller = KeystoneCaller.Of(request);
        var visible = caller.IsAdmin
            ? await store.FindProjectEntryAsync(projectId, cancellationToken)
            : (await store.ListProjectEntriesAsync(null, caller.Token.UserId, cancellationToken)).FirstOrDefault(p => p.Id == projectId);
        return visible is null
            ? KeystoneReply.NotFound("project", projectId)
            : KeystoneReply.Json(new JsonObject { ["project"] = KeystoneBodies.Project(visible, options.Value.BaseUrl) });
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, IdentityStore store,
        IOptions<HoardOptions> options, CancellationToken cancellationToken)
    {
        var body = await KeystoneReply.ReadAsync(request, "project", cancellationToken)
                   ?? throw new KeystoneInputException("Expecting to find project in request body.");
        KeystoneInput.DefaultDomain(body);
        var name = KeystoneInput.Name(body, "project") ?? throw new KeystoneInputException("'name' is a required property.");
        var project = new ProjectEntry(Guid.NewGuid().ToString("N"), name, KeystoneBodies.DomainId,
            KeystoneInput.Enabled(body) ?? true, KeystoneInput.Description(body) ?? "");
        if (!await store.CreateProjectEntryAsync(project, cancellationToken))
        {
            return KeystoneReply.Conflict("project", name);
        }

        return KeystoneReply.Json(new JsonObject { ["project"] = KeystoneBodies.Project(project, options.Value.BaseUrl) }, 201);
    }

    private static async Task<IResult> UpdateAsync(HttpRequest request, string projectId, IdentityStore store,
        IOptions<HoardOptions> options, CancellationToken cancellationToken)
    {
        var body = await KeystoneReply.ReadAsync(request, "project", cancellationToken)
                   ?? throw new KeystoneInputException("Expecting to find project in request body.");
        if (await store.FindProjectEntryAsync(projectId, cancellationToken) is not { } current)
        {
            return KeystoneReply.NotFound("project", projectId);
        }

        var updated = current with
        {
            Name = KeystoneInput.Name(body, "project") ?? current.Name,
            Enabled = KeystoneInput.Enabled(body) ?? current.Enabled,
            Description = KeystoneInput.Description(body) ?? current.Description,
        };
        if (!await store.UpdateProjectEntryAsync(updated, cancellationToken))
        {
            return KeystoneReply.Conflict("project", updated.Name);
        }

        return KeystoneReply.Json(new JsonObject { ["project"] = KeystoneBodies.Project(updated, options.Value.BaseUrl) });
    }

    private static async Task<IResult> DeleteAsync(string projectId, IdentityStore store,
        CancellationToken cancellationToken) =>
        await store.DeleteProjectAsync(projectId, cancellationToken)
            ? KeystoneReply.NoContent()
            : KeystoneReply.NotFound("project", projectId);
}
