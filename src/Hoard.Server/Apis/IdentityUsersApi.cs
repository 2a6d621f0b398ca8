using System.Text.Json.Nodes;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Hoard.Server.Identity;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Apis;

/// <summary>
/// Keystone's <c>/v3/users</c>: admins manage users, everybody sees and may change their own password. A new password,
/// disabling or deleting a user revokes all of that user's tokens (<see cref="IdentityStore"/>).
/// </summary>
internal static class IdentityUsersApi
{
    // Keystone lets a user exist without a password; no password hash ever matches this one.
    private const string NoPassword = "!";

    public static void MapIdentityUsersApi(this RouteGroupBuilder v3)
    {
        v3.MapGet("/users", ListAsync);
        v3.MapGet("/users/{userId}", ShowAsync);
        v3.MapPost("/users", CreateAsync).AddEndpointFilter(KeystoneCaller.RequireAdmin);
        v3.MapPatch("/users/{userId}", UpdateAsync).AddEndpointFilter(KeystoneCaller.RequireAdmin);
        v3.MapDelete("/users/{userId}", DeleteAsync).AddEndpointFilter(KeystoneCaller.RequireAdmin);
        v3.MapPost("/users/{userId}/password", ChangeOwnPasswordAsync);
    }

    private static async Task<IResult> ListAsync(HttpRequest request, string? name, IdentityStore store,
        IOptions<HoardOptions> options, CancellationToken cancellationToken)
    {
        var caller = KeystoneCaller.Of(request);
        var users = (await store.ListUserEntriesAsync(name, cancellationToken)).Where(u => caller.IsAdmin || caller.Is(u.Id));
        return KeystoneReply.List(request, "users", users.Select(u => KeystoneBodies.User(u, options.Value.BaseUrl)));
    }

    private static async Task<IResult> ShowAsync(HttpRequest request, string userId, IdentityStore store,
        IOptions<HoardOptions> options, CancellationToken cancellationToken)
    {
        var caller = KeystoneCaller.Of(request);
        if (!caller.IsAdmin && !caller.Is(userId))
        {
            return KeystoneReply.Forbidden();
        }

        return await store.FindUserEntryAsync(userId, cancellationToken) is { } user
            ? KeystoneReply.Json(new JsonObject { ["user"] = KeystoneBodies.User(user, options.Value.BaseUrl) })
            : KeystoneReply.NotFound("user", userId);
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, IdentityStore store,
        IOptions<HoardOptions> options, CancellationToken cancellationToken)
    {
        var body = await KeystoneReply.ReadAsync(request, "user", cancellationToken)
                   ?? throw new KeystoneInputException("Expecting to find user in request body.");
        KeystoneInput.DefaultDomain(body);
        var name = KeystoneInput.Name(body, "user") ?? throw new KeystoneInputException("'name' is a required property.");
        var defaultProject = await DefaultProjectAsync(body, store, cancellationToken);
        var password = KeystoneInput.Password(body);
        var user = new UserEntry(Guid.NewGuid().ToString("N"), name, KeystoneBodies.DomainId, KeystoneInput.Enabled(body) ?? true, defaultProject);
        if (!await store.CreateUserEntryAsync(user, password is null ? NoPassword : PasswordHasher.Hash(password), cancellationToken))
        {
            return KeystoneReply.Conflict("user", name);
        }

        return KeystoneReply.Json(new JsonObject { ["user"] = KeystoneBodies.User(user, options.Value.BaseUrl) }, 201);
    }

    private static async Task<IResult> UpdateAsync(HttpRequest request, string userId, IdentityStore store,
        IOptions<HoardOptions> options, CancellationToken cancellationToken)
    {
        var body = await KeystoneReply.ReadAsync(request, "user", cancellationToken)
                   ?? throw new KeystoneInputException("Expecting to find user in request body.");
        if (await store.FindUserEntryAsync(userId, cancellationToken) is not { } current)
        {
            return KeystoneReply.NotFound("user", userId);
        }

        var updated = current with
        {
            Name = KeystoneInput.Name(body, "user") ?? current.Name,
            Enabled = KeystoneInput.Enabled(body) ?? current.Enabled,
            DefaultProjectId = body.ContainsKey("default_project_id") ? await DefaultProjectAsync(body, store, cancellationToken) : current.DefaultProjectId,
        };
        var password = KeystoneInput.Password(body);
        if (!await store.UpdateUserEntryAsync(updated, password is null ? null : PasswordHasher.Hash(password), cancellationToken))
        {
            return KeystoneReply.Conflict("user", updated.Name);
        }

        return KeystoneReply.Json(new JsonObject { ["user"] = KeystoneBodies.User(updated, options.Value.BaseUrl) });
    }

    private static async Task<IResult> DeleteAsync(string userId, IdentityStore store,
        CancellationToken cancellationToken) =>
        await store.DeleteUserAsync(userId, cancellationToken) ? KeystoneReply.NoContent() : KeystoneReply.NotFound("user", userId);

    /// <summary><c>openstack user password set</c>: the user's own password, given the current one.</summary>
    private static async Task<IResult> ChangeOwnPasswordAsync(HttpRequest request, string userId, IdentityStore store,
        CancellationToken cancellationToken)
    {
        var caller = KeystoneCaller.Of(request);
        if (!caller.Is(userId))
        {
            return KeystoneReply.Forbidden();
        }

        var body = await KeystoneReply.ReadAsync(request, "user", cancellationToken)
                   ?? throw new KeystoneInputException("Expecting to find user in request body.");
        var original = KeystoneInput.Password(body, "original_password") ?? throw new KeystoneInputException("'original_password' is a required property.");
        var password = KeystoneInput.Password(body) ?? throw new KeystoneInputException("'password' is a required property.");
        var account = await store.FindUserAsync(KeystoneBodies.DomainId, userId, null, cancellationToken);
        if (account is null || !PasswordHasher.Verify(original, account.PasswordHash))
        {
            return KeystoneReply.Unauthorized();
        }

        var current = await store.FindUserEntryAsync(userId, cancellationToken);
        await store.UpdateUserEntryAsync(current!, PasswordHasher.Hash(password), cancellationToken);
        return KeystoneReply.NoContent();
    }

    private static async Task<string?> DefaultProjectAsync(JsonObject body, IdentityStore store, CancellationToken cancellationToken)
    {
        var id = KeystoneInput.Id(body, "default_project_id");
        if (id is not null && await store.FindProjectEntryAsync(id, cancellationToken) is null)
        {
            throw new KeystoneInputException($"Could not find project: {id}.");
        }

        return id;
    }
}
