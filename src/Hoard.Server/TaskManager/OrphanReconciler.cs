using Hoard.Core.Compute;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Hoard.Server.TaskManager;

/// <summary>
/// Removes what no instance owns: processes, instance directories, addresses, cgroups and volumes left behind by a
/// crash, a failed delete or a state DB put back from an older copy. An instance whose row is live is never touched.
/// A deleted instance's leftovers go at once (its delete marks the row only after its own clean-up ran, so nothing is
/// still being made for it); those of an instance the state DB does not know go once nothing of them changed for
/// <see cref="HoardOptions.OrphanGraceSeconds"/> (a create writes its row first: this is belt and braces).
/// </summary>
internal sealed partial class OrphanReconciler(
    InstanceStore instances,
    IComputeProvider compute,
    IVolumeProvider volumes,
    IOptions<HoardOptions> options,
    TimeProvider time,
    ILogger<OrphanReconciler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var grace = TimeSpan.FromSeconds(options.Value.OrphanGraceSeconds);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.OrphanScanIntervalSeconds), time);
        try
        {
            do
            {
                try
                {
                    await ReconcileAsync(time.GetUtcNow() - grace, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogFailed(e);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Releases everything held for deleted instances, and for unknown ones if untouched since <paramref name="unknownUntouchedSince"/>.</summary>
    /// <returns>The ids of the instances whose leftovers were removed.</returns>
    internal async Task<IReadOnlyList<string>> ReconcileAsync(DateTimeOffset unknownUntouchedSince, CancellationToken cancellationToken)
    {
        var held = (await compute.ListHeldResourcesAsync(cancellationToken))
            .Concat(await volumes.ListHeldResourcesAsync(cancellationToken))
            .GroupBy(h => h.InstanceId, StringComparer.Ordinal)
            .ToList();
        if (held.Count == 0)
        {
            return [];
        }

        // A state DB that has never known any instance, beside a host full of them, is most likely the wrong file
        // (a new path, a restore gone wrong): removing "unknown" volumes would destroy every instance's data.
        if ((await instances.ListAnyProjectAsync(null, false, 1, null, cancellationToken)).Count == 0 &&
            (await instances.ListAnyProjectAsync(null, true, 1, null, cancellationToken)).Count == 0)
        {
            LogEmptyStateDb(held.Count);
            return [];
        }

        var removed = new List<string>();
        foreach (var group in held)
        {
            var id = group.Key;
            var row = await instances.GetAnyProjectAsync(id, includeDeleted: true, cancellationToken);
            if (row is { Deleted: false } || (row is null && group.Max(h => h.Since) > unknownUntouchedSince))
            {
                continue;
            }

            LogRemoving(id, row is null ? "unknown to the state DB" : "deleted", string.Join("; ", group.Select(h => h.What).Distinct()));
            try
            {
                // The order of a delete: nothing may still use the files or the volume when they go.
                await compute.StopGuestAsync(id, TimeSpan.FromSeconds(5), cancellationToken);
                await compute.ReleaseAsync(id, cancellationToken);
                await volumes.DeleteAsync(id, cancellationToken);
                removed.Add(id);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogRemoveFailed(e, id);
            }
        }

        return removed;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removing what is left of instance {InstanceId} ({Why}): {What}")]
    private partial void LogRemoving(string instanceId, string why, string what);

    [LoggerMessage(Level = LogLevel.Error, Message = "Removing what is left of instance {InstanceId} failed; trying again at the next pass")]
    private partial void LogRemoveFailed(Exception e, string instanceId);

    [LoggerMessage(Level = LogLevel.Error,
        Message = "The host holds resources of {Count} instances but the state DB has never known any instance; removing nothing. Is StateDbPath right?")]
    private partial void LogEmptyStateDb(int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reconciling orphaned resources failed")]
    private partial void LogFailed(Exception e);
}
