using Hoard.Core.Workflows;
using Hoard.Persistence;

namespace Hoard.Server.Observability;

/// <summary>Wiring for metrics, events, the audit log and JSON logs (see docs/observability.md).</summary>
internal static class ObservabilityExtensions
{
    public static WebApplicationBuilder AddObservability(this WebApplicationBuilder builder, bool jsonLogs)
    {
        if (jsonLogs)
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }

        var services = builder.Services;
        services.Configure<ObservabilityOptions>(builder.Configuration.GetSection("Hoard:Observability"));
        services.AddSingleton<HoardMetrics>();
        services.AddSingleton<IWorkflowObserver, WorkflowMetrics>();
        services.AddSingleton<InstanceMetricsHistory>();
        services.AddSingleton<ScrapeRefresher>();
        services.AddSingleton<EventStore>();
        services.AddSingleton<AuditStore>();
        services.AddHostedService<EventPruner>();
        return builder;
    }

    /// <summary>First in the pipeline, so that it sees the status every other middleware (faults included) answered with.</summary>
    public static IApplicationBuilder UseRequestObserver(this IApplicationBuilder app) => app.UseMiddleware<RequestObserver>();
}
