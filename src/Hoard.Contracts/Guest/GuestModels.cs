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
public sealed record PrepareRequest(
    string Datastore,
    string DatastoreVersion,
    int MemoryMb,
    int Vcpus,
    int VolumeSizeGb,
    IReadOnlyList<DatabaseSpec> Databases,
    IReadOnlyList<UserSpec> Users,
    IReadOnlyDictionary<string, string>? ConfigOverrides = null);
