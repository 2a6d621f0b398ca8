using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;

namespace Hoard.Guest.Datastores.Redis;

/// <summary>
/// Trove's user verbs as Redis ACL users, run on the guest's administrator connection. Users have no host
/// (always <c>%</c>) and no databases. Every change ends with <c>ACL SAVE</c>, so the ACL file and the server agree.
/// </summary>
internal static class RedisUsers
{
    /// <summary>All or nothing: everything is checked first, and users created before a failure are deleted.</summary>
    public static void Create(RedisConnection connection, IReadOnlyList<UserSpec> users)
    {
        Validate(users);
        foreach (var user in users)
        {
            if (Exists(connection, user.Name))
                throw AlreadyExists(user.Name);
        }

        var created = new List<string>();
        try
        {
            foreach (var user in users)
            {
                SetUser(connection, user.Name, [">" + user.Password!]);
                created.Add(user.Name);
            }
        }
        catch (RedisException) when (!connection.IsBroken && created.Count > 0)
        {
            connection.Execute(["ACL", "DELUSER", .. created]);
            throw;
        }

        if (created.Count > 0)
            Save(connection);
    }

    /// <summary>Checks names, hosts and passwords, and that no user is listed twice or asks for databases.</summary>
    public static void Validate(IReadOnlyList<UserSpec> users)
    {
        foreach (var user in users)
        {
            RedisAcl.ValidateCustomerUserName(user.Name);
            RedisAcl.ValidateHost(user.Host);
            RedisAcl.ValidatePassword(user.Password);
            if (user.Databases is { Count: > 0 })
                throw RedisManager.NoDatabases();
        }

        var duplicate = users.GroupBy(u => u.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new HandlerException(GuestErrorCodes.BadRequest, $"User '{duplicate.Key}' is listed more than once.");
    }

    public static List<UserInfo> List(RedisConnection connection) =>
        connection.Execute("ACL", "USERS").AsArray()
            .Select(name => name.AsString())
            .Where(name => !RedisAcl.IsReservedUser(name))
            .Order(StringComparer.Ordinal)
            .Select(Info)
            .ToList();

    public static UserInfo Get(RedisConnection connection, UserRef user)
    {
        RedisAcl.ValidateUserName(user.Name);
        RedisAcl.ValidateHost(user.Host);
        if (RedisAcl.IsReservedUser(user.Name) || !Exists(connection, user.Name))
            throw NotFound(user.Name);
        return Info(user.Name);
    }

    /// <summary>
    /// Changes the password, then the name. Redis cannot rename a user: the new user is created with the old
    /// one's password hashes (or the new password), then the old one is deleted, which also disconnects its clients.
    /// </summary>
    public static void UpdateAttributes(RedisConnection connection, UserAttributes attributes)
    {
        RedisAcl.ValidateCustomerUserName(attributes.Name);
        RedisAcl.ValidateHost(attributes.Host);
        if (attributes.NewName is not null)
            RedisAcl.ValidateCustomerUserName(attributes.NewName);
        RedisAcl.ValidateHost(attributes.NewHost);
        if (attributes.NewPassword is not null)
            RedisAcl.ValidatePassword(attributes.NewPassword);
        RequireExisting(connection, attributes.Name);

        var newName = attributes.NewName ?? attributes.Name;
        var renamed = newName != attributes.Name;
        if (renamed && Exists(connection, newName))
            throw AlreadyExists(newName);
        if (attributes.NewPassword is null && !renamed)
            return;

        var passwords = attributes.NewPassword is not null ? [">" + attributes.NewPassword] : PasswordHashes(connection, attributes.Name);
        SetUser(connection, newName, passwords);
        if (renamed)
            connection.Execute("ACL", "DELUSER", attributes.Name);
        Save(connection);
    }

    /// <summary>Checks every user first, so an unknown user changes nothing.</summary>
    public static void ChangePasswords(RedisConnection connection, IReadOnlyList<UserSpec> users)
    {
        foreach (var user in users)
        {
            RedisAcl.ValidateCustomerUserName(user.Name);
            RedisAcl.ValidateHost(user.Host);
            RedisAcl.ValidatePassword(user.Password);
        }

        foreach (var user in users)
            RequireExisting(connection, user.Name);
        foreach (var user in users)
            SetUser(connection, user.Name, [">" + user.Password!]);
        if (users.Count > 0)
            Save(connection);
    }

    public static void Delete(RedisConnection connection, UserRef user)
    {
        RedisAcl.ValidateCustomerUserName(user.Name);
        RedisAcl.ValidateHost(user.Host);
        RequireExisting(connection, user.Name);
        connection.Execute("ACL", "DELUSER", user.Name);
        Save(connection);
    }

    public static bool Exists(RedisConnection connection, string name) =>
        !connection.Execute("ACL", "GETUSER", name).IsNil;

    /// <summary>Writes the server's users to its ACL file.</summary>
    public static void Save(RedisConnection connection) => connection.Execute("ACL", "SAVE");

    /// <summary>(Re)defines a customer user from scratch: the standard rules and exactly these passwords.</summary>
    private static void SetUser(RedisConnection connection, string name, IEnumerable<string> passwords) =>
        connection.Execute(["ACL", "SETUSER", name, "reset", "on", .. passwords, .. RedisAcl.UserRules()]);

    /// <summary>The user's passwords as <c>#sha256</c> rules, as <c>ACL GETUSER</c> reports them.</summary>
    private static List<string> PasswordHashes(RedisConnection connection, string name)
    {
        var fields = connection.Execute("ACL", "GETUSER", name).AsArray();
        for (var i = 0; i + 1 < fields.Count; i += 2)
        {
            if (fields[i].AsString() == "passwords")
                return fields[i + 1].AsArray().Select(hash => "#" + hash.AsString()).ToList();
        }

        throw new InvalidDataException($"ACL GETUSER {name} reported no passwords field.");
    }

    private static UserInfo Info(string name) => new(name, "%", []);

    private static void RequireExisting(RedisConnection connection, string name)
    {
        if (!Exists(connection, name))
            throw NotFound(name);
    }

    private static HandlerException NotFound(string name) =>
        new(GuestErrorCodes.UserNotFound, $"User '{name}' does not exist.");

    private static HandlerException AlreadyExists(string name) =>
        new(GuestErrorCodes.UserAlreadyExists, $"User '{name}' already exists.");
}
