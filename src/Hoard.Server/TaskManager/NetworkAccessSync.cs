using Hoard.Core.Compute;
using Hoard.Core.Instances;
using Hoard.Persistence;

namespace Hoard.Server.TaskManager;

/// <summary>
/// Brings the host's rules to what the state DB holds for every instance of this server. Always the whole set, never
/// a delta: a change applied twice, or after a crash, or in an order other than it was made, ends the same. One at a
/// time, so that the last to run read the latest state.
/// </summary>
internal sealed partial class NetworkAccessSync(NetworkAccessStore store, INetworkAccessProvider provider, TimeProvider time,
    ILogger<NetworkAccessSync> logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task ApplyAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var started = time.GetTimestamp();
            var restricted = await store.ListRestrictedAsync(cancellationToken);
            var rules = restricted
                .Select(i => new AccessRule(i.Id, i.Address, (int)i.Port, AllowedCidrs.FromStored(i.AllowedCidrs)))
                .ToList();
            await provider.ReplaceAllAsync(rules, cancellationToken);
            LogApplied(rules.Count, provider.Name, time.GetElapsedTime(started).TotalMilliseconds);
        }
        finally
        {
            _gate.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Network access: {Rules} restricted instances applied through {Provider} in {Milliseconds:0.0} ms")]
    private partial void LogApplied(int rules, string provider, double milliseconds);
}
