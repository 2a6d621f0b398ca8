using Hoard.Contracts.Guest;
using Hoard.Guest.DatastoreLogs;

namespace Hoard.Guest.Datastores.MariaDb;

/// <summary>
/// MariaDB's guest logs: the error log (always on), the slow query log and the general query log, each switched live
/// with <c>SET GLOBAL</c>. The switch lasts until the server restarts; the configuration (<c>slow_query_log</c>,
/// <c>general_log</c>, <c>long_query_time</c>) decides after that.
/// </summary>
internal sealed partial class MariaDbManager
{
    private DatastoreLogSet? _logs;

    public DatastoreLogSet Logs => _logs ??= new DatastoreLogSet(
    [
        new FileDatastoreLog("error", GuestLogTypes.System, _server.Paths.ErrorLog),
        Switchable("slow_query", "slow_query_log", _server.Paths.SlowQueryLog),
        Switchable("general", "general_log", _server.Paths.GeneralLog),
    ]);

    private FileDatastoreLog Switchable(string name, string variable, string path) => new(name, GuestLogTypes.User, path,
        isEnabled: ct => ReadAsync(connection => connection.Query($"SELECT @@GLOBAL.{variable}")[0][0] == "1", ct),
        setEnabled: (enabled, ct) => ReadAsync(connection => connection.Execute($"SET GLOBAL {variable} = {(enabled ? "ON" : "OFF")}"), ct));
}
