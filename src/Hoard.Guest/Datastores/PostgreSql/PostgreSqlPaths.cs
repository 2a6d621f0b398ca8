namespace Hoard.Guest.Datastores.PostgreSql;

/// <summary>
/// The files of one PostgreSQL instance. The configuration lives in the data directory, where
/// <c>postgres -D</c> looks for it; the socket in the run directory (<c>unix_socket_directories</c>).
/// </summary>
internal sealed record PostgreSqlPaths(
    string DataDirectory,
    string SocketDirectory,
    string PidFile,
    string ConfigFile,
    string HbaFile,
    string IdentFile,
    string AutoConfigFile,
    string ServerLog,
    string InitDbLog,
    string AdminCredentials,
    string BackupPassFile,
    string PreparedMarker,
    string RecoverySignal,
    string WalRestoreDirectory)
{
    public static PostgreSqlPaths For(InstancePaths paths)
    {
        var data = Path.Combine(paths.Data, "pgdata");
        return new PostgreSqlPaths(
            DataDirectory: data,
            SocketDirectory: paths.Run,
            PidFile: Path.Combine(data, "postmaster.pid"),
            ConfigFile: Path.Combine(data, "postgresql.conf"),
            HbaFile: Path.Combine(data, "pg_hba.conf"),
            IdentFile: Path.Combine(data, "pg_ident.conf"),
            AutoConfigFile: Path.Combine(data, "postgresql.auto.conf"),
            ServerLog: Path.Combine(paths.Log, "postgresql.log"),
            InitDbLog: Path.Combine(paths.Log, "initdb.log"),
            AdminCredentials: Path.Combine(paths.Etc, "guest-admin.pg"),
            BackupPassFile: Path.Combine(paths.Etc, "backup.pgpass"),
            PreparedMarker: Path.Combine(paths.Etc, "prepared"),
            RecoverySignal: Path.Combine(data, "recovery.signal"),
            // Beside the data directory on the volume: the archived WAL a point-in-time restore replays, removed after.
            WalRestoreDirectory: Path.Combine(paths.Data, "wal-restore"));
    }
}
