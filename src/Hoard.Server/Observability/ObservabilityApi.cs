using System.Globalization;
using System.Text.Json.Nodes;
using Hoard.Persistence;
using Hoard.Server.Apis;
using Hoard.Server.Identity;
using Hoard.Server.Trove;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Observability;

/// <summary>
/// <c>/metrics</c> (Prometheus text format), an instance's metrics history, instances' and a project's events, and the
/// admin-only audit log.
/// </summary>
internal static class ObservabilityApi
{
    public static void MapObservabilityApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", ScrapeAsync);
        app.MapGet("/v1.0/{projectId}/instances/{id}/metrics", InstanceMetricsAsync);
        app.MapGet("/v1.0/{projectId}/instances/{id}/events", InstanceEventsAsync);
        app.MapGet("/v1.0/{projectId}/events", ProjectEventsAsync);
        app.MapGet("/v1.0/{projectId}/mgmt/audit", AuditAsync);
    }

    private static async Task ScrapeAsync(HttpContext http, HoardMetrics metrics, ScrapeRefresher refresher,
        IOptions<ObservabilityOptions> options, CancellationToken cancellationToken)
    {
        if (!MetricsAccess.Allows(http.Request, options.Value.MetricsBearerToken))
        {
            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return;
        }

        await refresher.RefreshAsync(cancellationToken);
        http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await metrics.Registry.CollectAndExportAsTextAsync(http.Response.Body, cancellationToken);
    }

    private static async Task<IResult> InstanceMetricsAsync(HttpContext http, string id, InstanceAccess access, InstanceMetricsHistory history,
        CancellationToken cancellationToken)
    {
        var instance = await access.GetAsync(http, id, cancellationToken);
        var samples = history.Get(instance.Id).Select(s => (JsonNode)new JsonObject
        {
            ["time"] = Time(s.Time),
            ["connections"] = s.Connections,
            ["queries_per_second"] = s.QueriesPerSecond,
            ["replication_lag_seconds"] = s.ReplicationLagSeconds,
            ["volume_used_bytes"] = s.VolumeUsedBytes,
            ["volume_size_bytes"] = s.VolumeSizeBytes,
            ["memory_bytes"] = s.MemoryBytes,
            ["cpu_percent"] = s.CpuPercent,
        });
        return Reply.Json(new JsonObject { ["metrics"] = new JsonArray([.. samples]) });
    }

    private static async Task<IResult> InstanceEventsAsync(HttpContext http, string id, InstanceAccess access, EventStore events,
        IOptions<ObservabilityOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var instance = await access.GetAsync(http, id, cancellationToken);
        return await EventsAsync(http, instance.Id, events, options.Value, time, cancellationToken);
    }

    private static Task<IResult> ProjectEventsAsync(HttpContext http, EventStore events, IOptions<ObservabilityOptions> options,
        TimeProvider time, CancellationToken cancellationToken) =>
        EventsAsync(http, null, events, options.Value, time, cancellationToken);

    private static async Task<IResult> EventsAsync(HttpContext http, string? instanceId, EventStore events, ObservabilityOptions options,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var (limit, marker) = Views.Page(http.Request);
        var since = time.GetUtcNow() - options.EventRetention;
        var page = await events.ListAsync(http.Token().ProjectId, instanceId, since, limit, marker, cancellationToken);
        var body = new JsonObject
        {
            ["events"] = new JsonArray([.. page.Select(e => (JsonNode)new JsonObject
            {
                ["id"] = e.Id, ["time"] = Time(e.Time), ["instance_id"] = e.InstanceId, ["type"] = e.Type, ["message"] = e.Message,
                ["user_id"] = e.UserId,
            })]),
        };
        Views.AddNextLink(body, http.Request, limit, page.Count, page.LastOrDefault()?.Id);
        return Reply.Json(body);
    }

    private static async Task<IResult> AuditAsync(HttpContext http, AuditStore audit, CancellationToken cancellationToken)
    {
        if (!http.Token().IsAdmin)
        {
            throw TroveFault.Unauthorized("User does not have admin privileges.");
        }

        var (limit, rawMarker) = Views.Page(http.Request);
        long? marker = rawMarker is null ? null
            : long.TryParse(rawMarker, NumberStyles.None, CultureInfo.InvariantCulture, out var m) ? m
            : throw TroveFault.BadRequest("marker must be an audit entry's id.");
        var projectId = http.Request.Query["project_id"].ToString() is { Length: > 0 } p ? p : null;
        var page = await audit.ListAsync(projectId, limit, marker, cancellationToken);
        var body = new JsonObject
        {
            ["audit"] = new JsonArray([.. page.Select(a => (JsonNode)new JsonObject
            {
                ["id"] = a.Id, ["time"] = Time(a.Time), ["user_id"] = a.UserId, ["project_id"] = a.ProjectId, ["method"] = a.Method,
                ["path"] = a.Path, ["status"] = a.Status, ["request_id"] = a.RequestId,
            })]),
        };
        Views.AddNextLink(body, http.Request, limit, page.Count, page.LastOrDefault()?.Id.ToString(CultureInfo.InvariantCulture));
        return Reply.Json(body);
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
