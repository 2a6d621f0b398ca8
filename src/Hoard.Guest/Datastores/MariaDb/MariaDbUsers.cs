using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;

namespace Hoard.Guest.Datastores.MariaDb;

/// <summary>
/// User and access verbs, run on an administrator connection. The server's and the guest's own accounts are
/// invisible here, except <c>root@'%'</c> while root is enabled (Trove's semantics).
/// </summary>
internal static class MariaDbUsers
{
    /// <summary>All or nothing: everything is checked first, and users created before a failure are dropped.</summary>
    public static void Create(MariaDbConnection connection, IReadOnlyList<UserSpec> users)
    {
        Validate(users);
        foreach (var user in users)
        {
            if (Exists(connection, user.Name, user.Host))
                throw AlreadyExists(user.Name, user.Host);
        }

        MariaDbDatabases.RequireExisting(connection, users.SelectMany(u => u.Databases ?? []).Distinct());

        var created = new List<string>();
        try
        {
            foreach (var user in users)
            {
                var account = MariaDbNames.Account(connection, user.Name, user.Host);
                connection.Execute($"CREATE USER {account} IDENTIFIED BY {connection.Literal(user.Password!)}");
                created.Add(account);
                foreach (var database in user.Databases ?? [])
                    Grant(connection, account, database);
            }
        }
        catch (MariaDbException e)
        {
            foreach (var account in created)
                connection.Execute($"DROP USER IF EXISTS {account}");
            throw e.ErrorNumber == MariaDbException.CannotUser ? new HandlerException(GuestErrorCodes.UserAlreadyExists, e.Message) : e;
        }
    }

    /// <summary>Checks names, hosts, passwords and database names, and that no account is listed twice.</summary>
    public static void Validate(IReadOnlyList<UserSpec> users)
    {
        foreach (var user in users)
        {
            ValidateAccount(user.Name, user.Host);
            MariaDbNames.ValidatePassword(user.Password);
            foreach (var database in user.Databases ?? [])
                MariaDbNames.ValidateUserDatabaseName(database);
        }

        var duplicate = users.GroupBy(u => (u.Name, u.Host)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new HandlerException(GuestErrorCodes.BadRequest, $"User '{duplicate.Key.Name}'@'{duplicate.Key.Host}' is listed more than once.");
    }

    public static List<UserInfo> List(MariaDbConnection connection)
    {
        var databases = DatabasesByAccount(connection);
        return connection.Query("SELECT User, Host FROM mysql.user WHERE is_role = 'N' ORDER BY User, Host")
            .Select(row => (Name: row[0]!, Host: row[1]!))
            .Where(user => IsVisible(user.Name, user.Host))
            .Select(user => new UserInfo(user.Name, user.Host, databases.GetValueOrDefault((user.Name, user.Host)) ?? []))
            .ToList();
    }

    public static UserInfo Get(MariaDbConnection connection, UserRef user)
    {
        MariaDbNames.ValidateUserName(user.Name);
        MariaDbNames.ValidateHost(user.Host);
        if (!IsVisible(user.Name, user.Host) || !Exists(connection, user.Name, user.Host))
            throw NotFound(user.Name, user.Host);
        return new UserInfo(user.Name, user.Host, Access(connection, user.Name, user.Host));
    }

    /// <summary>Changes the password, then the name and host; the target account must be free.</summary>
    public static void UpdateAttributes(MariaDbConnection connection, UserAttributes attributes)
    {
        ValidateAccount(attributes.Name, attributes.Host);
        if (attributes.NewName is not null)
            MariaDbNames.ValidateUserAccountName(attributes.NewName);
        if (attributes.NewHost is not null)
            MariaDbNames.ValidateHost(attributes.NewHost);
        if (attributes.NewPassword is not null)
            MariaDbNames.ValidatePassword(attributes.NewPassword);
        RequireExisting(connection, attributes.Name, attributes.Host);

        var newName = attributes.NewName ?? attributes.Name;
        var newHost = attributes.NewHost ?? attributes.Host;
        var renamed = newName != attributes.Name || newHost != attributes.Host;
        if (renamed && Exists(connection, newName, newHost))
            throw AlreadyExists(newName, newHost);

        var account = MariaDbNames.Account(connection, attributes.Name, attributes.Host);
        if (attributes.NewPassword is not null)
            connection.Execute($"ALTER USER {account} IDENTIFIED BY {connection.Literal(attributes.NewPassword)}");
        if (renamed)
            connection.Execute($"RENAME USER {account} TO {MariaDbNames.Account(connection, newName, newHost)}");
    }

    /// <summary>Checks every user first, so an unknown user changes nothing.</summary>
    public static void ChangePasswords(MariaDbConnection connection, IReadOnlyList<UserSpec> users)
    {
        foreach (var user in users)
        {
            ValidateAccount(user.Name, user.Host);
            MariaDbNames.ValidatePassword(user.Password);
        }

        foreach (var user in users)
            RequireExisting(connection, user.Name, user.Host);
        foreach (var user in users)
            connection.Execute($"ALTER USER {MariaDbNames.Account(connection, user.Name, user.Host)} IDENTIFIED BY {connection.Literal(user.Password!)}");
    }

    public static void Delete(MariaDbConnection connection, UserRef user)
    {
        ValidateAccount(user.Name, user.Host);
        RequireExisting(connection, user.Name, user.Host);
        connection.Execute($"DROP USER {MariaDbNames.Account(connection, user.Name, user.Host)}");
    }

    public static void GrantAccess(MariaDbConnection connection, AccessRequest request)
    {
        ValidateAccount(request.Name, request.Host);
        foreach (var database in request.Databases)
            MariaDbNames.ValidateUserDatabaseName(database);
        RequireExisting(connection, request.Name, request.Host);
        MariaDbDatabases.RequireExisting(connection, request.Databases);
        var account = MariaDbNames.Account(connection, request.Name, request.Host);
        foreach (var database in request.Databases)
            Grant(connection, account, database);
    }

    /// <summary>Revokes whatever grant names the database, escaped or not; <see cref="GuestErrorCodes.DatabaseNotFound"/> if none does.</summary>
    public static void RevokeAccess(MariaDbConnection connection, UserRef user, string database)
    {
        ValidateAccount(user.Name, user.Host);
        MariaDbNames.ValidateUserDatabaseName(database);
        RequireExisting(connection, user.Name, user.Host);
        var patterns = GrantRows(connection, user.Name, user.Host)
            .Where(pattern => MariaDbNames.UnescapeGrantDatabase(pattern) == database)
            .ToList();
        if (patterns.Count == 0)
            throw new HandlerException(GuestErrorCodes.DatabaseNotFound, $"User '{user.Name}'@'{user.Host}' has no access to database '{database}'.");
        var account = MariaDbNames.Account(connection, user.Name, user.Host);
        foreach (var pattern in patterns)
            connection.Execute($"REVOKE ALL PRIVILEGES ON {MariaDbNames.QuoteIdentifier(pattern)}.* FROM {account}");
    }

    public static List<string> ListAccess(MariaDbConnection connection, UserRef user)
    {
        MariaDbNames.ValidateUserName(user.Name);
        MariaDbNames.ValidateHost(user.Host);
        if (!IsVisible(user.Name, user.Host))
            throw NotFound(user.Name, user.Host);
        RequireExisting(connection, user.Name, user.Host);
        return Access(connection, user.Name, user.Host);
    }

    public static bool Exists(MariaDbConnection connection, string name, string host) =>
        connection.Query($"SELECT 1 FROM mysql.global_priv WHERE User = {connection.Literal(name)} AND Host = {connection.Literal(host)}").Count > 0;

    private static void Grant(MariaDbConnection connection, string account, string database) =>
        connection.Execute($"GRANT ALL PRIVILEGES ON {MariaDbNames.GrantDatabase(database)}.* TO {account}");

    private static List<string> Access(MariaDbConnection connection, string name, string host) =>
        GrantRows(connection, name, host).Select(MariaDbNames.UnescapeGrantDatabase).Distinct().Order(StringComparer.Ordinal).ToList();

    private static List<string> GrantRows(MariaDbConnection connection, string name, string host) =>
        connection.Query($"SELECT Db FROM mysql.db WHERE User = {connection.Literal(name)} AND Host = {connection.Literal(host)}")
            .Select(row => row[0]!)
            .ToList();

    private static Dictionary<(string Name, string Host), List<string>> DatabasesByAccount(MariaDbConnection connection) =>
        connection.Query("SELECT User, Host, Db FROM mysql.db")
            .GroupBy(row => (row[0]!, row[1]!))
            .ToDictionary(
                group => group.Key,
                group => group.Select(row => MariaDbNames.UnescapeGrantDatabase(row[2]!)).Distinct().Order(StringComparer.Ordinal).ToList());

    /// <summary>Reserved accounts are hidden, except root@'%', which exists only while root is enabled.</summary>
    private static bool IsVisible(string name, string host) =>
        !MariaDbNames.IsReservedUser(name) || (name == "root" && host == "%");

    private static void ValidateAccount(string name, string host)
    {
        MariaDbNames.ValidateUserAccountName(name);
        MariaDbNames.ValidateHost(host);
    }

    private static void RequireExisting(MariaDbConnection connection, string name, string host)
    {
        if (!Exists(connection, name, host))
            throw NotFound(name, host);
    }

    private static HandlerException NotFound(string name, string host) =>
        new(GuestErrorCodes.UserNotFound, $"User '{name}'@'{host}' does not exist.");

    private static HandlerException AlreadyExists(string name, string host) =>
        new(GuestErrorCodes.UserAlreadyExists, $"User '{name}'@'{host}' already exists.");
}
