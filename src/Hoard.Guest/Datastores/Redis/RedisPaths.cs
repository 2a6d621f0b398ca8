namespace Hoard.Guest.Datastores.Redis;

/// <summary>Where one Redis instance keeps each of its files, inside the instance's directories.</summary>
internal sealed record RedisPaths(
    string DataDirectory,
    string DumpFile,
    string Socket,
    string PidFile,
    string ServerLog,
    string OutputLog,
    string ConfigFile,
    string AclFile,
    string AdminCredentials,
    string RootPassword,
    string RootEnabledMarker,
    string ReplicationPassword,
    string MasterAuthFile,
    string PreparedMarker)
{
    public static RedisPaths For(InstancePaths paths) => new(
        DataDirectory: paths.Data,
        DumpFile: Path.Combine(paths.Data, "dump.rdb"),
        Socket: Path.Combine(paths.Run, "redis.sock"),
        PidFile: Path.Combine(paths.Run, "redis.pid"),
        ServerLog: Path.Combine(paths.Log, "redis.log"),
        OutputLog: Path.Combine(paths.Log, "redis-server.out"),
        ConfigFile: Path.Combine(paths.Etc, "redis.conf"),
        AclFile: Path.Combine(paths.Etc, "users.acl"),
        AdminCredentials: Path.Combine(paths.Etc, "redis-admin.secret"),
        RootPassword: Path.Combine(paths.Etc, "redis-default.secret"),
        RootEnabledMarker: Path.Combine(paths.Etc, "root-enabled"),
        ReplicationPassword: Path.Combine(paths.Etc, "redis-repl.secret"),
        MasterAuthFile: Path.Combine(paths.Etc, "redis-masterauth.conf"),
        PreparedMarker: Path.Combine(paths.Etc, "prepared"));
}
