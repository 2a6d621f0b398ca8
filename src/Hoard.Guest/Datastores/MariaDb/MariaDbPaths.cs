namespace Hoard.Guest.Datastores.MariaDb;

/// <summary>Where one MariaDB instance keeps each of its files, inside the instance's directories.</summary>
internal sealed record MariaDbPaths(
    string DataDirectory,
    string SecureFiles,
    string TempFiles,
    string BackupScratch,
    string Socket,
    string PidFile,
    string InitFile,
    string ErrorLog,
    string SlowQueryLog,
    string GeneralLog,
    string OutputLog,
    string ConfigFile,
    string AdminCredentials,
    string PreparedMarker)
{
    public static MariaDbPaths For(InstancePaths paths) => new(
        DataDirectory: Path.Combine(paths.Data, "mysql"),
        SecureFiles: Path.Combine(paths.Data, "files"),
        TempFiles: Path.Combine(paths.Data, "tmp"),
        BackupScratch: Path.Combine(paths.Data, "backup-tmp"),
        Socket: Path.Combine(paths.Run, "mysqld.sock"),
        PidFile: Path.Combine(paths.Run, "mysqld.pid"),
        InitFile: Path.Combine(paths.Run, "init.sql"),
        ErrorLog: Path.Combine(paths.Log, "error.log"),
        SlowQueryLog: Path.Combine(paths.Log, "slow.log"),
        GeneralLog: Path.Combine(paths.Log, "general.log"),
        OutputLog: Path.Combine(paths.Log, "mariadbd.out"),
        ConfigFile: Path.Combine(paths.Etc, "my.cnf"),
        AdminCredentials: Path.Combine(paths.Etc, "guest-admin.cnf"),
        PreparedMarker: Path.Combine(paths.Etc, "prepared"));
}
