using System.Text.Json.Nodes;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Messaging.Clients;
using Hoard.Persistence;
using Hoard.Server.Trove;

namespace Hoard.Server.Apis;

/// <summary><c>/instances/{id}/users</c> and user access, with Trove's <c>name@host</c> addressing.</summary>
internal static class UsersApi
{
    public static void MapUsersApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1.0/{projectId}/instances/{id}/users").RefuseChangesOnReplicas();
        group.MapPost("", CreateAsync);
        group.MapGet("", ListAsync);
        group.MapPut("", ChangePasswordsAsync);
        group.MapGet("/{user}", ShowAsync);
        group.MapPut("/{user}", UpdateAsync);
        group.MapDelete("/{user}", DeleteAsync);
        group.MapGet("/{user}/databases", ListAccessAsync);
        group.MapPut("/{user}/databases", GrantAsync);
        group.MapDelete("/{user}/databases/{database}", RevokeAsync);
    }

    private static JsonObject View(UserInfo u) => new()
    {
        ["name"] = u.Name,
        ["host"] = u.Host,
        ["databases"] = new JsonArray([.. u.Databases.Select(d => (JsonNode)new JsonObject { ["name"] = d })]),
    };

    private static async Task<(GuestClient Guest, DatastoreRules Rules)> ServingAsync(HttpContext http, string id, InstanceAccess access,
        IMessageBus bus, CancellationToken cancellationToken)
    {
        var instance = await access.GetAsync(http, id, cancellationToken);
        var rules = await access.RulesAsync(instance, cancellationToken);
        rules.RequireUsers();
        InstanceAccess.RequireServing(instance);
        return (new GuestClient(bus, instance.Id), rules);
    }

    /// <summary>
    /// A user change on the instance, then, where the datastore does not replicate its users (Redis's ACLs), on each of
    /// its replicas too, so that they (and whichever of them a failover promotes) know the same users. The source's
    /// answer is the caller's; a replica that refuses gets a fault that says which change it missed.
    /// </summary>
    private static async Task ChangeAsync(DatastoreRules rules, string id, InstanceStore instances, IMessageBus bus, Func<GuestClient, Task> change,
        CancellationToken ct)
    {
        await change(new GuestClient(bus, id));
        if (rules.Capabilities.UsersReplicate)
            return;
        foreach (var replica in await instances.ListReplicasAsync(id, ct))
        {
            try
            {
                await change(new GuestClient(bus, replica.Id));
            }
            catch (Exception e) when (e is RemoteCallException or BusTimeoutException)
            {
                await instances.AddFaultAsync(replica.Id, $"A user change made on source {id} did not reach this replica: {e.Message}", null, ct);
            }
        }
    }

    private static async Task<IResult> CreateAsync(HttpContext http, string id, InstanceAccess access, InstanceStore instances, IMessageBus bus,
        CancellationToken ct)
    {
        Policy.RequireWriter(http);
        var (guest, rules) = await ServingAsync(http, id, access, bus, ct);
        var body = await Body.ReadAsync(http.Request, ct);
        var users = rules.Users(Body.Array(body, "users", "body") ?? throw TroveFault.Validation("'users' is a required array."), "users", null);
        if (users.Count == 0)
        {
            throw TroveFault.Validation("'users' must not be empty.");
        }

        await ChangeAsync(rules, id, instances, bus, g => g.CreateUsersAsync(users, ct), ct);
        return Reply.Accepted();
    }

    private static async Task<IResult> ListAsync(HttpContext http, string id, InstanceAccess access, IMessageBus bus, CancellationToken ct)
    {
        var (guest, _) = await ServingAsync(http, id, access, bus, ct);
        var (limit, marker) = Views.Page(http.Request);
        var page = (await guest.ListUsersAsync(ct)).OrderBy(u => u.Name + "@" + u.Host, StringComparer.Ordinal)
            .Where(u => marker is null || string.CompareOrdinal(u.Name + "@" + u.Host, marker) > 0).Take(limit).ToList();
        var body = new JsonObject { ["users"] = new JsonArray([.. page.Select(u => (JsonNode)View(u))]) };
        Views.AddNextLink(body, http.Request, limit, page.Count, page.LastOrDefault() is { } last ? last.Name + "@" + last.Host : null);
        return Reply.Json(body);
    }

    private static async Task<IResult> ChangePasswordsAsync(HttpContext http, string id, InstanceAccess access, InstanceStore instances, IMessageBus bus,
        CancellationToken ct)
    {
        Policy.RequireWriter(http);
        var (guest, rules) = await ServingAsync(http, id, access, bus, ct);
        var body = await Body.ReadAsync(http.Request, ct);
        var users = rules.Users(Body.Array(body, "users", "body") ?? throw TroveFault.Validation("'users' is a required array."), "users", null);
        await ChangeAsync(rules, id, instances, bus, g => g.ChangePasswordsAsync(users, ct), ct);
        return Reply.Accepted();
    }

    private static async Task<IResult> ShowAsync(HttpContext http, string id, string user, InstanceAccess access, IMessageBus bus, CancellationToken ct)
    {
        var (guest, rules) = await ServingAsync(http, id, access, bus, ct);
        var info = await guest.GetUserAsync(rules.UserRef(user, http.Request.Query["host"]), ct);
        return Reply.Json(new JsonObject { ["user"] = View(info) });
    }

    private static async Task<IResult> UpdateAsync(HttpContext http, string id, string user, InstanceAccess access, InstanceStore instances,
        IMessageBus bus, CancellationToken ct)
    {
        Policy.RequireWriter(http);
        var (guest, rules) = await ServingAsync(http, id, access, bus, ct);
        var target = rules.UserRef(user, http.Request.Query["host"]);
        var spec = Body.Wrapper(await Body.ReadAsync(http.Request, ct), "user");
        Body.OnlyKeys(spec, "user", "name", "password", "host");
        if (spec.Count == 0)
        {
            throw TroveFault.Validation("user must have at least one of name, password, host.");
        }

        var newName = spec["name"] is null ? null : rules.UserName(Body.String(spec, "name", "user"));
        var newPassword = spec["password"] is null ? null : rules.Password(Body.String(spec, "password", "user"));
        var newHost = spec["host"] is null ? null : rules.Host(Body.String(spec, "host", "user"));
        var attributes = new UserAttributes(target.Name, target.Host, newName, newPassword, newHost);
        await ChangeAsync(rules, id, instances, bus, g => g.UpdateUserAttributesAsync(attributes, ct), ct);
        return Reply.Accepted();
    }

    private static async Task<IResult> DeleteAsync(HttpContext http, string id, string user, InstanceAccess access, InstanceStore instances,
        IMessageBus bus, CancellationToken ct)
    {
        Policy.RequireWriter(http);
        var (_, rules) = await ServingAsync(http, id, access, bus, ct);
        var target = rules.UserRef(user, http.Request.Query["host"]);
        await ChangeAsync(rules, id, instances, bus, g => g.DeleteUserAsync(target, ct), ct);
        return Reply.Accepted();
    }

    private static async Task<IResult> ListAccessAsync(HttpContext http, string id, string user, InstanceAccess access, IMessageBus bus, CancellationToken ct)
    {
        var (guest, rules) = await ServingAsync(http, id, access, bus, ct);
        var databases = await guest.ListAccessAsync(rules.UserRef(user, http.Request.Query["host"]), ct);
        return Reply.Json(new JsonObject
        {
            ["databases"] = new JsonArray([.. databases.Order(StringComparer.Ordinal).Select(d => (JsonNode)new JsonObject { ["name"] = d })]),
        });
    }

    private static async Task<IResult> GrantAsync(HttpContext http, string id, string user, InstanceAccess access, IMessageBus bus, CancellationToken ct)
    {
        Policy.RequireWriter(http);
        var (guest, rules) = await ServingAsync(http, id, access, bus, ct);
        var target = rules.UserRef(user, http.Request.Query["host"]);
        var body = await Body.ReadAsync(http.Request, ct);
        var databases = (Body.Array(body, "databases", "body") ?? throw TroveFault.Validation("'databases' is a required array."))
            .Select((d, i) => rules.DatabaseRef(d, $"databases[{i}]"))
            .ToList();
        await guest.GrantAccessAsync(new AccessRequest(target.Name, target.Host, databases), ct);
        return Reply.Accepted();
    }

    private static async Task<IResult> RevokeAsync(HttpContext http, string id, string user, string database, InstanceAccess access,
        IMessageBus bus, CancellationToken ct)
    {
        Policy.RequireWriter(http);
        var (guest, rules) = await ServingAsync(http, id, access, bus, ct);
        await guest.RevokeAccessAsync(rules.UserRef(user, http.Request.Query["host"]), rules.DatabaseName(Uri.UnescapeDataString(database)), ct);
        return Reply.Accepted();
    }
}
