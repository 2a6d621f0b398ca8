using System.Globalization;
using Hoard.Core.Identity;
using Hoard.Persistence;
using Hoard.Server.Identity;

namespace Hoard.Server.Observability;

/// <summary>
/// Outermost middleware: gives every request an id (<c>x-openstack-request-id</c>, as Trove does), times it for
/// <c>hoard_api_request_duration_seconds</c> under its route template (never its path, which names projects), and writes an
/// audit entry for every mutating request to the Trove API: who, method, path, status and request id, never the body.
/// </summary>
internal sealed partial class RequestObserver(RequestDelegate next, HoardMetrics metrics, AuditStore audit, TimeProvider time,
    ILogger<RequestObserver> logger)
{
    public const string RequestIdHeader = "x-openstack-request-id";

    public async Task InvokeAsync(HttpContext context)
    {
        var requestId = "req-" + Guid.NewGuid();
        context.Response.OnStarting(() =>
        {
            context.Response.Headers[RequestIdHeader] = requestId;
            return Task.CompletedTask;
        });
        var started = time.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var request = context.Request;
            var route = RouteOf(context);
            metrics.ApiRequests.WithLabels(MethodLabel(request.Method), route, context.Response.StatusCode.ToString(CultureInfo.InvariantCulture))
                .Observe(time.GetElapsedTime(started).TotalSeconds);
            if (IsMutating(request.Method) && request.Path.StartsWithSegments("/v1.0"))
            {
                await AuditAsync(context, requestId);
            }
        }
    }

    /// <summary>The template the request matched; a group's own route ("/instances" + "") is written without its trailing slash.</summary>
    private static string RouteOf(HttpContext context) =>
        (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText is { } template
            ? template.Length > 1 ? template.TrimEnd('/') : template
            : "unmatched";

    /// <summary>A method no route answers is counted as OTHER, so that clients cannot add series at will.</summary>
    private static string MethodLabel(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || IsMutating(method)
            ? method.ToUpperInvariant()
            : "OTHER";

    private static bool IsMutating(string method) =>
        HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method);

    private async Task AuditAsync(HttpContext context, string requestId)
    {
        var token = context.Items[TroveAuthMiddleware.TokenKey] as TokenInfo;
        var path = context.Request.Path.Value ?? "";
        // A request refused before its token was read is audited under the project its path names.
        var projectId = token?.ProjectId ?? path.Split('/', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1);
        try
        {
            await audit.AddAsync(token?.UserId, projectId, context.Request.Method, path, context.Response.StatusCode, requestId, CancellationToken.None);
        }
        catch (Exception e)
        {
            LogAuditFailed(e, requestId);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not write the audit entry of request {RequestId}")]
    private partial void LogAuditFailed(Exception e, string requestId);
}
