using System.Globalization;
using System.Text.Json.Nodes;
using Hoard.Core.Identity;
using Hoard.Server.Identity;

namespace Hoard.Server.RateLimiting;

/// <summary>
/// Counts each authenticated <c>/v1.0/{project}/…</c> request against its project's rate limits, after
/// <see cref="TroveAuthMiddleware"/> (so unauthenticated calls count against no one), and refuses one over the limit
/// as Trove and nova do: 413 <c>overLimit</c> with <c>retryAfter</c> and a <c>Retry-After</c> header.
/// </summary>
internal sealed class ProjectRateLimitMiddleware(RequestDelegate next, ProjectRateLimiter limiter)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Items[TroveAuthMiddleware.TokenKey] is not TokenInfo token
            || limiter.TryAcquire(token.ProjectId, context.Request.Method, out var status))
        {
            await next(context);
            return;
        }

        var retryAfter = status.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        context.Response.StatusCode = StatusCodes.Status413RequestEntityTooLarge;
        context.Response.Headers.RetryAfter = retryAfter;
        context.Response.ContentType = "application/json";
        var body = new JsonObject
        {
            ["overLimit"] = new JsonObject
            {
                ["code"] = 413,
                ["message"] = "This request was rate-limited.",
                ["details"] = $"Only {status.Value} {status.Verb} request(s) can be made to * every minute.",
                ["retryAfter"] = retryAfter,
            },
        };
        await context.Response.WriteAsync(body.ToJsonString());
    }
}
