using System.Text.Json.Nodes;
using Hoard.Contracts.Bus;
using Hoard.Messaging.Clients;
using Hoard.Persistence;
using Hoard.Server.Identity;
using Hoard.Server.Trove;

namespace Hoard.Server.Apis;

/// <summary><c>/instances/{id}/root</c>: enable (generated or given password), show, disable.</summary>
internal static class RootApi
{
    public static void MapRootApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1.0/{projectId}/instances/{id}/root").RefuseChangesOnReplicas();
        group.MapGet("", ShowAsync);
        group.MapPost("", EnableAsync);
        group.MapDelete("", DisableAsync);
    }

    private static async Task<(GuestClient Guest, DatastoreRules Rules)> ServingAsync(HttpContext http, string id, InstanceAccess access,
        IMessageBus bus, CancellationToken ct)
    {
        var instance = await access.GetAsync(http, id, ct);
        var rules = await access.RulesAsync(instance, ct);
        if (!rules.Capabilities.SupportsRoot)
        {
            throw TroveFault.NotImplemented("This datastore does not support root access.");
        }

        InstanceAccess.RequireServing(instance);
        return (new GuestClient(bus, instance.Id), rules);
    }

    private static async Task<IResult> ShowAsync(HttpContext http, string id, InstanceAccess access, IMessageBus bus, CancellationToken ct)
    {
        var (guest, _) = await ServingAsync(http, id, access, bus, ct);
        return Reply.Json(new JsonObject { ["rootEnabled"] = await guest.IsRootEnabledAsync(ct) });
    }

    private static async Task<IResult> EnableAsync(HttpContext http, string id, InstanceAccess access, InstanceStore instances,
        IMessageBus bus, CancellationToken ct)
    {
        Policy.RequireWriter(http);
        var (guest, rules) = await ServingAsync(http, id, access, bus, ct);
        string? password = null;
        if (http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0)
        {
            var body = await Body.ReadAsync(http.Request, ct);
            password = body["password"] is null ? null : rules.Password(Body.String(body, "password", "body"));
        }

        var credentials = await guest.EnableRootAsync(password, ct);
        await instances.RecordRootEnabledAsync(id, http.Token().UserId, ct);
        return Reply.Json(new JsonObject { ["user"] = new JsonObject { ["name"] = credentials.Name, ["password"] = credentials.Password } });
    }

    private static async Task<IResult> DisableAsync(HttpContext http, string id, InstanceAccess access, InstanceStore instances,
        IMessageBus bus, CancellationToken ct)
    {
        Policy.RequireWriter(http);
        var (guest, _) = await ServingAsync(http, id, access, bus, ct);
        if (!await instances.HasRootHistoryAsync(id, ct))
        {
            throw TroveFault.NotFound($"The root user has never been enabled on instance {id}.");
        }

        await guest.DisableRootAsync(ct);
        return Reply.NoContent();
    }
}
