namespace Hoard.Contracts.Guest;

public sealed record DatabaseSpec(string Name, string? CharacterSet = null, string? Collate = null);

public sealed record UserSpec(string Name, string? Password, string Host = "%", IReadOnlyList<string>? Databases = null);

/// <summary>A user as a datastore reports it (never with its password).</summary>
public sealed record UserInfo(string Name, string Host, IReadOnlyList<string> Databases);

public sealed record UserRef(string Name, string Host = "%");

public sealed record UserAttributes(string Name, string Host, string? NewName, string? NewPassword, string? NewHost);

public sealed record AccessRequest(string Name, string Host, IReadOnlyList<string> Databases);

public sealed record RootCredentials(string Name, string Password);

public sealed record EnableRootRequest(string? Password);

public sealed record DatabaseList(IReadOnlyList<DatabaseSpec> Databases);

public sealed record UserList(IReadOnlyList<UserInfo> Users);

public sealed record CreateDatabasesRequest(IReadOnlyList<DatabaseSpec> Databases);

public sealed record CreateUsersRequest(IReadOnlyList<UserSpec> Users);

public sealed record NameRequest(string Name);

public sealed record BoolResult(bool Value);

/// <summary>Everything the guest needs to build its database server from nothing.</summary>
/// <param name="WalArchive">Where to archive the write-ahead log, for datastores with point-in-time recovery.</param>
/// <param name="ReplicaOf">Build a replica of this source instead of a new server: MariaDB restores <paramref name="Restore"/>
/// (a snapshot of the source) and follows the source from the snapshot's GTID; PostgreSQL copies the source with
/// <c>pg_basebackup</c> through the context's slot; Redis starts empty and lets <c>REPLICAOF</c> copy it. Databases and
/// users come from the source; <paramref name="Databases"/> and <paramref name="Users"/> are empty.</param>
public sealed record PrepareRequest(
    string Datastore,
    string DatastoreVersion,
    int MemoryMb,
    int Vcpus,
    int VolumeSizeGb,
    IReadOnlyList<DatabaseSpec> Databases,
    IReadOnlyList<UserSpec> Users,
    IReadOnlyDictionary<string, string>? ConfigOverrides = null,
    RestoreSource? Restore = null,
    WalArchiveTarget? WalArchive = null,
    ReplicaContext? ReplicaOf = null);

/// <summary>
/// A new set of configuration overrides for a prepared instance. The guest rewrites its configuration so a
/// restart keeps them, applies the changed dynamic settings live, and reports which changes wait for a restart.
/// </summary>
/// <param name="MemoryMb">The flavor's memory: flavor-derived values are the defaults the overrides replace.</param>
/// <param name="Overrides">The complete override set, values already in the datastore's own syntax; an empty set
/// returns the instance to its flavor defaults.</param>
/// <param name="RestartRequired">Names the datastore version's parameter schema marks restart-required: a change
/// to one of these is never applied live.</param>
public sealed record UpdateOverridesRequest(
    int MemoryMb,
    IReadOnlyDictionary<string, string> Overrides,
    IReadOnlyList<string> RestartRequired);

/// <param name="Applied">Settings whose new value the running server uses now.</param>
/// <param name="PendingRestart">Settings written to the configuration that take effect at the next restart.</param>
public sealed record UpdateOverridesResult(IReadOnlyList<string> Applied, IReadOnlyList<string> PendingRestart);

/// <summary>The settings the instance's configuration file holds (flavor defaults with overrides applied).</summary>
public sealed record ConfigurationValues(IReadOnlyDictionary<string, string> Values);
