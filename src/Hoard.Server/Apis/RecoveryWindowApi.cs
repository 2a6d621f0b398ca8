using System.Globalization;
using System.Text.Json.Nodes;
using Hoard.Core.Instances;
using Hoard.Core.PointInTime;
using Hoard.Persistence;
using Hoard.Server.TaskManager;
using Hoard.Server.Trove;

namespace Hoard.Server.Apis;

/// <summary>
/// Hoard's <c>recovery_window</c> (not in Trove): the times an instance can be restored to with
/// <c>restorePoint: {"restore_time": …}</c>, in whole seconds, UTC. In an instance's show for datastores with
/// point-in-time recovery, and at <c>GET /v1.0/{project}/instances/{id}/recovery_window</c> with every stretch.
/// </summary>
internal static class RecoveryWindowApi
{
    public static void MapRecoveryWindowApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/v1.0/{projectId}/instances/{id}/recovery_window", ShowAsync);

    private static async Task<IResult> ShowAsync(HttpContext http, string id, InstanceAccess access, CatalogStore catalog,
        RecoveryWindows windows, CancellationToken cancellationToken)
    {
        var instance = await access.GetAsync(http, id, cancellationToken);
        var version = await catalog.GetVersionAsync(instance.DatastoreVersionId, cancellationToken);
        if (version is not { Capabilities.PointInTimeRecovery: true })
        {
            throw TroveFault.NotImplemented($"Point-in-time recovery is not supported for datastore {version?.DatastoreName} {version?.Name}.");
        }

        var window = await windows.ComputeAsync(instance.Id, cancellationToken);
        var view = View(window) ?? new JsonObject { ["earliest"] = null, ["latest"] = null };
        view["intervals"] = new JsonArray([.. window.Intervals.Select(i => (JsonNode)new JsonObject { ["from"] = Time(i.From), ["to"] = Time(i.To) })]);
        return Reply.Json(new JsonObject { ["recovery_window"] = view });
    }

    /// <summary>Adds <c>recovery_window</c> to an instance's view when its datastore has point-in-time recovery (null while there is none).</summary>
    public static async Task AddAsync(JsonObject view, InstanceRecord instance, CatalogStore catalog, RecoveryWindows windows,
        CancellationToken cancellationToken)
    {
        var version = await catalog.GetVersionAsync(instance.DatastoreVersionId, cancellationToken);
        if (version is { Capabilities.PointInTimeRecovery: true })
        {
            view["recovery_window"] = View(await windows.ComputeAsync(instance.Id, cancellationToken));
        }
    }

    /// <summary>The newest stretch in whole seconds: <c>{"earliest", "latest"}</c>; null when nothing is recoverable yet.</summary>
    public static JsonObject? View(RecoveryWindow window) =>
        window.Shown is { } shown ? new JsonObject { ["earliest"] = Seconds(shown.From), ["latest"] = Seconds(shown.To) } : null;

    /// <summary>Whole seconds, UTC, as a <c>restore_time</c> is written.</summary>
    public static string Seconds(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture);
}
