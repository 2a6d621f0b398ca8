using System.Globalization;
using System.Text.Json.Nodes;
using Hoard.Contracts.Bus;
using Hoard.Core.Backups;
using Hoard.Server.GuestLogs;
using Hoard.Server.Trove;

namespace Hoard.Server.Apis;

/// <summary>
/// <c>/instances/{id}/log</c>: Trove's guest log API (list; show, enable, disable, publish, discard), and Hoard's own
/// <c>GET /instances/{id}/log/{name}?lines=N</c> with the published text, for clients that do not read the storage;
/// with the Swift corner (<see cref="GuestLogObjectsApi"/>) that Trove's clients read published logs through.
/// </summary>
internal static class GuestLogApi
{
    private const int DefaultTailLines = 50;

    public static void MapGuestLogApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1.0/{projectId}/instances/{id}/log");
        group.MapGet("", ListAsync);
        group.MapPost("", ActAsync);
        group.MapGet("/{name}", TailAsync);
        app.MapGuestLogObjectsApi();
    }

    private static async Task<IResult> ListAsync(HttpContext http, string id, InstanceAccess access, IMessageBus bus, IBackupStorage storage,
        TimeProvider time, CancellationToken ct)
    {
        var instance = await access.GetAsync(http, id, ct);
        InstanceAccess.RequireAvailable(instance);
        var logs = await new GuestLogPublisher(bus, storage, time).ListAsync(instance, ct);
        return Reply.Json(new JsonObject { ["logs"] = new JsonArray([.. logs.Select(l => (JsonNode)l.ToJson())]) });
    }

    private static async Task<IResult> ActAsync(HttpContext http, string id, InstanceAccess access, IMessageBus bus, IBackupStorage storage,
        TimeProvider time, CancellationToken ct)
    {
        var instance = await access.GetAsync(http, id, ct);
        var action = GuestLogAction.Parse(await Body.ReadAsync(http.Request, ct));
        if (action.ChangesAnything)
            Policy.RequireWriter(http);
        InstanceAccess.RequireAvailable(instance);
        var log = await new GuestLogPublisher(bus, storage, time).ActAsync(instance, action, ct);
        return Reply.Json(new JsonObject { ["log"] = log.ToJson() });
    }

    private static async Task<IResult> TailAsync(HttpContext http, string id, string name, InstanceAccess access, IMessageBus bus,
        IBackupStorage storage, TimeProvider time, CancellationToken ct)
    {
        var instance = await access.GetAsync(http, id, ct);
        if (!BackupKeys.IsContainerName(name) || name.Contains('.'))
            throw TroveFault.NotFound($"Log '{name}' could not be found on instance {id}.");
        var lines = Lines(http.Request.Query["lines"]);
        var text = await new GuestLogPublisher(bus, storage, time).TailAsync(instance.ProjectId, instance.Id, name, lines, ct);
        return Reply.Json(new JsonObject { ["log"] = new JsonObject { ["name"] = name, ["lines"] = lines, ["contents"] = text } });
    }

    private static int Lines(string? value) =>
        value is null ? DefaultTailLines
        : int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var lines) ? lines
        : throw TroveFault.BadRequest("lines must be a whole number (0 for all).");
}
