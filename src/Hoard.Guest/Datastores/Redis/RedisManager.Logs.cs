using Hoard.Contracts.Guest;
using Hoard.Guest.DatastoreLogs;

namespace Hoard.Guest.Datastores.Redis;

/// <summary>Redis's guest logs: the server's log file (always on) and its in-memory slow log (<see cref="RedisSlowLog"/>).</summary>
internal sealed partial class RedisManager
{
    private DatastoreLogSet? _logs;

    public DatastoreLogSet Logs => _logs ??= new DatastoreLogSet(
    [
        new FileDatastoreLog("error", GuestLogTypes.System, _server.Paths.ServerLog),
        new SlowLog(this),
    ]);

    private sealed class SlowLog(RedisManager manager) : DatastoreLog("slow_query", GuestLogTypes.User)
    {
        public override async Task<GuestLogInfo> InfoAsync(CancellationToken cancellationToken)
        {
            try
            {
                var (enabled, end) = await manager.ReadAsync(c => (RedisSlowLog.IsEnabled(c), RedisSlowLog.End(c)), cancellationToken);
                return new GuestLogInfo(Name, Type, enabled ? GuestLogState.Enabled : GuestLogState.Disabled, end);
            }
            catch (Contracts.Bus.HandlerException)
            {
                return new GuestLogInfo(Name, Type, GuestLogState.Unavailable, 0);
            }
        }

        public override Task SetEnabledAsync(bool enabled, CancellationToken cancellationToken) =>
            manager.ReadAsync(c =>
            {
                RedisSlowLog.SetEnabled(c, enabled);
                return true;
            }, cancellationToken);

        public override Task<GuestLogChunk> ReadAsync(long from, int maxBytes, CancellationToken cancellationToken) =>
            manager.ReadAsync(c => RedisSlowLog.Read(c, from, maxBytes), cancellationToken);
    }
}
