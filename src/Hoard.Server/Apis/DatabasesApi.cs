using System.Text.Json.Nodes;
using Hoard.Contracts.Bus;
using Hoard.Messaging.Clients;
using Hoard.Server.Trove;

namespace Hoard.Server.Apis;

/// <summary><c>/instances/{id}/databases</c>. Calls reach the guest synchronously so errors come back as faults.</summary>
internal static class DatabasesApi
{
    public static void MapDatabasesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1.0/{projectId}/instances/{id}/databases").RefuseChangesOnReplicas();
        group.MapPost("", CreateAsync);
        group.MapGet("", ListAsync);
        group.MapGet("/{name}", (string name) =>
            Task.FromException<IResult>(TroveFault.NotImplemented("Showing a single database is not supported, as in Trove.")));
        group.MapDelete("/{name}", DeleteAsync);
    }

    private static async Task<IResult> CreateAsync(HttpContext http, string id, InstanceAccess access, IMessageBus bus,
        CancellationToken cancellationToken)
    {
        Policy.RequireWriter(http);
        var instance = await access.GetAsync(http, id, cancellationToken);
        var rules = await access.RulesAsync(instance, cancellationToken);
        rules.RequireDatabases();
        var body = await Body.ReadAsync(http.Request, cancellationToken);
        var databases = rules.Databases(Body.Array(body, "databases", "body") ?? throw TroveFault.Validation("'databases' is a required array."), "databases");
        if (databases.Count == 0)
        {
            throw TroveFault.Validation("'databases' must not be empty.");
        }

        InstanceAccess.RequireServing(instance);
        await new GuestClient(bus, instance.Id).CreateDatabasesAsync(databases, cancellationToken);
        return Reply.Accepted();
    }

    private static async Task<IResult> ListAsync(HttpContext http, string id, InstanceAccess access, IMessageBus bus,
        CancellationToken cancellationToken)
    {
        var instance = await access.GetAsync(http, id, cancellationToken);
        (await access.RulesAsync(instance, cancellationToken)).RequireDatabases();
        var (limit, marker) = Views.Page(http.Request);
        InstanceAccess.RequireServing(instance);
        var all = await new GuestClient(bus, instance.Id).ListDatabasesAsync(cancellationToken);
        var page = all.OrderBy(d => d.Name, StringComparer.Ordinal)
            .Where(d => marker is null || string.CompareOrdinal(d.Name, marker) > 0).Take(limit).ToList();
        var body = new JsonObject { ["databases"] = new JsonArray([.. page.Select(d => (JsonNode)new JsonObject { ["name"] = d.Name })]) };
        Views.AddNextLink(body, http.Request, limit, page.Count, page.LastOrDefault()?.Name);
        return Reply.Json(body);
    }

    private static async Task<IResult> DeleteAsync(HttpContext http, string id, string name, InstanceAccess access, IMessageBus bus,
        CancellationToken cancellationToken)
    {
        Policy.RequireWriter(http);
        var instance = await access.GetAsync(http, id, cancellationToken);
        var rules = await access.RulesAsync(instance, cancellationToken);
        rules.RequireDatabases();
        var database = rules.DatabaseName(Uri.UnescapeDataString(name));
        InstanceAccess.RequireServing(instance);
        await new GuestClient(bus, instance.Id).DeleteDatabaseAsync(database, cancellationToken);
        return Reply.Accepted();
    }
}
