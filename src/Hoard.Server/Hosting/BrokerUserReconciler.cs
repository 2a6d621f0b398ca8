using Hoard.Persistence;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Hosting;

/// <summary>
/// The orphan reconciler's counterpart on the broker: removes guest users (<c>hoard-guest-&lt;id&gt;</c>) that no live
/// instance owns, left by a delete that failed half way or a state DB put back from an older copy. An instance's row is
/// written before its user is made, so a user without a row is never one still being made.
/// </summary>
internal sealed partial class BrokerUserReconciler(
    BrokerUsers broker,
    InstanceStore instances,
    IOptions<HoardOptions> options,
    TimeProvider time,
    ILogger<BrokerUserReconciler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!broker.Enabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.OrphanScanIntervalSeconds), time);
        try
        {
            do
            {
                try
                {
                    await ReconcileAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogFailed(e.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <returns>The instances whose users were removed.</returns>
    internal async Task<IReadOnlyList<string>> ReconcileAsync(CancellationToken cancellationToken)
    {
        var users = await broker.ListGuestInstancesAsync(cancellationToken);
        // As the orphan reconciler: a state DB that never knew an instance is more likely the wrong file than the truth.
        if (users.Count == 0 ||
            ((await instances.ListAnyProjectAsync(null, false, 1, null, cancellationToken)).Count == 0 &&
             (await instances.ListAnyProjectAsync(null, true, 1, null, cancellationToken)).Count == 0))
        {
            return [];
        }

        var removed = new List<string>();
        foreach (var id in users)
        {
            if (await instances.GetAnyProjectAsync(id, includeDeleted: true, cancellationToken) is { Deleted: false })
            {
                continue;
            }

            LogRemoving(id);
            await broker.DeleteGuestAsync(id, cancellationToken);
            removed.Add(id);
        }

        return removed;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removing the broker user of instance {InstanceId}, which no live instance owns")]
    private partial void LogRemoving(string instanceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciling broker users failed: {Reason}")]
    private partial void LogFailed(string reason);
}
