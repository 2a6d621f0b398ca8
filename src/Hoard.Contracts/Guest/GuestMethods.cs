namespace Hoard.Contracts.Guest;

/// <summary>Verbs of the guest agent API (topic <c>guest.&lt;instance-id&gt;</c>), named as in Trove's guest API.</summary>
public static class GuestMethods
{
    public const string Prepare = "prepare";
    public const string Restart = "restart";
    public const string Ping = "rpc_ping";
    public const string CreateDatabases = "create_database";
    public const string ListDatabases = "list_databases";
    public const string DeleteDatabase = "delete_database";
    public const string CreateUsers = "create_user";
    public const string ListUsers = "list_users";
    public const string GetUser = "get_user";
    public const string UpdateUserAttributes = "update_attributes";
    public const string ChangePasswords = "change_passwords";
    public const string DeleteUser = "delete_user";
    public const string GrantAccess = "grant_access";
    public const string RevokeAccess = "revoke_access";
    public const string ListAccess = "list_access";
    public const string EnableRoot = "enable_root";
    public const string DisableRoot = "disable_root";
    public const string IsRootEnabled = "is_root_enabled";
    public const string UpdateOverrides = "update_overrides";
    public const string GetConfiguration = "get_configuration";
    public const string CreateBackup = "create_backup";

    /// <summary>Hoard's own: a new WAL archive target (a rotated WAL token) for an instance that archives its WAL.</summary>
    public const string SetWalArchive = "set_wal_archive";

    // Replication (Trove's names where Trove has the verb).
    public const string GetReplicaContext = "get_replica_context";
    public const string AttachReplica = "attach_replica";
    public const string ForgetReplica = "forget_replica";
    public const string GetReplicationStatus = "get_replication_status";

    /// <summary>A replica stops following and accepts writes (Trove's <c>enable_as_master</c> / <c>detach_replica</c>).</summary>
    public const string Promote = "promote";

    /// <summary>A source stops accepting writes, for a switchover (Trove's <c>demote_replication_master</c>); answers its final position.</summary>
    public const string Demote = "demote";

    // Guest logs (Trove's guest_log_list / guest_log_action, split so that hoard-server stores what the guest reads).
    public const string ListGuestLogs = "guest_log_list";
    public const string SetGuestLog = "guest_log_enable";
    public const string ReadGuestLog = "guest_log_read";
}

/// <summary>Error codes a guest returns; the API maps each to a Trove fault.</summary>
public static class GuestErrorCodes
{
    public const string BadRequest = "BadRequest";
    public const string DatabaseAlreadyExists = "DatabaseAlreadyExists";
    public const string DatabaseNotFound = "DatabaseNotFound";
    public const string UserAlreadyExists = "UserAlreadyExists";
    public const string UserNotFound = "UserNotFound";
    public const string NotReady = "NotReady";
    public const string NotSupported = "NotSupported";
    public const string Internal = "Internal";
}
