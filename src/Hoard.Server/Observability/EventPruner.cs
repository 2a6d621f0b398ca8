using Hoard.Persistence;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Observability;

/// <summary>Hourly: deletes events and audit entries past their retention, and forgets the metrics of deleted instances.</summary>
internal sealed partial class EventPruner(
    EventStore events,
    AuditStore audit,
    InstanceStore instances,
    InstanceMetricsHistory history,
    IOptions<ObservabilityOptions> options,
    TimeProvider time,
    ILogger<EventPruner> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                await PruneAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogPruneFailed(e);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    public async Task PruneAsync(CancellationToken cancellationToken)
    {
        var before = time.GetUtcNow() - options.Value.EventRetention;
        var pruned = await events.PruneAsync(before, cancellationToken) + await audit.PruneAsync(before, cancellationToken);
        if (pruned > 0)
        {
            LogPruned(pruned, options.Value.EventRetentionDays);
        }

        var live = await instances.ListAsync(null, int.MaxValue, null, cancellationToken);
        history.Retain(live.Select(i => i.Id).ToHashSet(StringComparer.Ordinal));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Pruned {Count} events and audit entries older than {Days} days")]
    private partial void LogPruned(int count, double days);

    [LoggerMessage(Level = LogLevel.Error, Message = "Pruning events failed")]
    private partial void LogPruneFailed(Exception e);
}
