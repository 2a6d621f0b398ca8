using Hoard.Core.Compute;
using Hoard.Persistence;

namespace Hoard.Server.TaskManager.Replication;

/// <summary>
/// Brings the write endpoints to what the state DB holds: every replication set with a live member, leading to the member
/// that is its source now. Always the whole set, one at a time (the last to run read the latest state). Role changes
/// apply at once; <see cref="WriteEndpointReconciler"/> is the backstop.
/// </summary>
internal sealed partial class WriteEndpointSync(ReplicationSetStore sets, IWriteEndpointProvider provider, ILogger<WriteEndpointSync> logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public IWriteEndpointProvider Provider => provider;

    public async Task ApplyAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var endpoints = await sets.ListEndpointsAsync(cancellationToken);
            await provider.ReplaceAllAsync([.. endpoints.Select(e => new WriteEndpoint(e.SetId, (int)e.Port, e.SourceAddress, (int)e.SourcePort))],
                cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>For workflows: a failure is logged and left to the reconciler, never a reason to fail a role change.</summary>
    public async Task TryApplyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ApplyAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(e);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Applying the write endpoints failed; the reconciler tries again")]
    private partial void LogFailed(Exception e);
}

/// <summary>Applies the write endpoints when the server starts, then every 5 s.</summary>
internal sealed class WriteEndpointReconciler(WriteEndpointSync sync, TimeProvider time) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            do
            {
                await sync.TryApplyAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
    }
}
