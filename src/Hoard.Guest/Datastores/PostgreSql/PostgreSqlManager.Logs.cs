using System.Globalization;
using Hoard.Contracts.Guest;
using Hoard.Guest.DatastoreLogs;

namespace Hoard.Guest.Datastores.PostgreSql;

/// <summary>
/// PostgreSQL's guest logs, both in the server log: <c>error</c> is all of it (always on), <c>slow_query</c> its
/// <c>duration:</c> entries. The switch is <c>log_min_duration_statement</c> set with <c>ALTER SYSTEM</c> and reloaded:
/// enabling keeps the configured threshold (or <see cref="DefaultSlowQueryMs"/> when it is off), disabling sets −1. Kept
/// in <c>postgresql.auto.conf</c>, it survives restarts and wins over a configuration group's value.
/// </summary>
internal sealed partial class PostgreSqlManager
{
    private const int DefaultSlowQueryMs = 1000;
    private DatastoreLogSet? _logs;

    public DatastoreLogSet Logs => _logs ??= new DatastoreLogSet(
    [
        new FileDatastoreLog("error", GuestLogTypes.System, _server.Paths.ServerLog),
        new FileDatastoreLog("slow_query", GuestLogTypes.User, _server.Paths.ServerLog,
            isEnabled: async ct => await SlowQueryThresholdAsync(ct) >= 0,
            setEnabled: SetSlowQueryLogAsync,
            keep: PostgreSqlSlowQueryLines.Keep),
    ]);

    /// <summary>The server's threshold as its files set it: the guest's own sessions run with −1, so that its statements stay out of the log.</summary>
    private Task<int> SlowQueryThresholdAsync(CancellationToken cancellationToken) =>
        ReadAsync(async admin => (await admin.QueryAsync(
                "SELECT setting FROM pg_file_settings WHERE name = 'log_min_duration_statement' AND applied")) is [[{ } setting], ..]
            ? int.Parse(setting, CultureInfo.InvariantCulture)
            : -1, cancellationToken);

    private async Task SetSlowQueryLogAsync(bool enabled, CancellationToken cancellationToken)
    {
        var current = await SlowQueryThresholdAsync(cancellationToken);
        var threshold = !enabled ? -1 : current >= 0 ? current : DefaultSlowQueryMs;
        await ReadAsync(async admin =>
        {
            await admin.ExecuteAsync($"ALTER SYSTEM SET log_min_duration_statement = {threshold.ToString(CultureInfo.InvariantCulture)}");
            await PostgreSqlConfiguration.ReloadAsync(_server, admin, _options.ReloadTimeout);
            return true;
        }, cancellationToken);
    }
}
