using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Npgsql;

namespace Hoard.Guest.Datastores.PostgreSql;

/// <summary>
/// User and access verbs. A Trove user is a <c>LOGIN</c> role with a SCRAM password; access to a database is
/// <c>ALL</c> on it (<c>CONNECT</c>, <c>CREATE</c>, <c>TEMPORARY</c>), which with the <c>public</c> schema set up by
/// <see cref="PostgreSqlDatabases"/> lets the user create tables there. The server's and the guest's own roles are
/// invisible, except <c>root</c> while root is enabled (Trove's semantics). Roles have no host: always '%'.
/// </summary>
internal static class PostgreSqlUsers
{
    private const string AnyHost = "%";

    /// <summary>All or nothing: roles and grants are made in one transaction after everything has been checked.</summary>
    public static async Task CreateAsync(PostgreSqlAdmin admin, IReadOnlyList<UserSpec> users)
    {
        Validate(users);
        foreach (var user in users)
        {
            if (await ExistsAsync(admin, user.Name))
                throw AlreadyExists(user.Name);
        }

        await PostgreSqlDatabases.RequireExistingAsync(admin, users.SelectMany(u => u.Databases ?? []).Distinct());
        await using var transaction = await admin.Connection.BeginTransactionAsync(admin.CancellationToken);
        try
        {
            foreach (var user in users)
            {
                await admin.ExecuteAsync($"CREATE ROLE {Quote(user.Name)} LOGIN PASSWORD {PostgreSqlNames.QuoteLiteral(user.Password!)}");
                foreach (var database in user.Databases ?? [])
                    await GrantAsync(admin, user.Name, database);
            }

            await transaction.CommitAsync(admin.CancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateObject)
        {
            throw new HandlerException(GuestErrorCodes.UserAlreadyExists, e.MessageText);
        }
    }

    /// <summary>Checks names, hosts, passwords and database names, and that no user is listed twice.</summary>
    public static void Validate(IReadOnlyList<UserSpec> users)
    {
        foreach (var user in users)
        {
            ValidateAccount(user.Name, user.Host);
            PostgreSqlNames.ValidatePassword(user.Password);
            foreach (var database in user.Databases ?? [])
                PostgreSqlNames.ValidateUserDatabaseName(database);
        }

        var duplicate = users.GroupBy(u => u.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new HandlerException(GuestErrorCodes.BadRequest, $"User '{duplicate.Key}' is listed more than once.");
    }

    public static async Task<List<UserInfo>> ListAsync(PostgreSqlAdmin admin)
    {
        var access = (await admin.QueryAsync(AccessQuery("TRUE")))
            .Where(row => !PostgreSqlNames.IsReservedDatabase(row[1]!))
            .GroupBy(row => row[0]!)
            .ToDictionary(group => group.Key, group => group.Select(row => row[1]!).ToList());
        return (await admin.QueryAsync("SELECT rolname FROM pg_roles WHERE rolcanlogin ORDER BY rolname"))
            .Select(row => row[0]!)
            .Where(IsVisible)
            .Select(name => new UserInfo(name, AnyHost, access.GetValueOrDefault(name) ?? []))
            .ToList();
    }

    public static async Task<UserInfo> GetAsync(PostgreSqlAdmin admin, UserRef user)
    {
        await RequireVisibleAsync(admin, user.Name, user.Host);
        return new UserInfo(user.Name, AnyHost, await AccessAsync(admin, user.Name));
    }

    /// <summary>Changes the password, then the name (SCRAM secrets do not depend on the name, so they survive it).</summary>
    public static async Task UpdateAttributesAsync(PostgreSqlAdmin admin, UserAttributes attributes)
    {
        ValidateAccount(attributes.Name, attributes.Host);
        if (attributes.NewName is not null)
            PostgreSqlNames.ValidateUserAccountName(attributes.NewName);
        PostgreSqlNames.ValidateHost(attributes.NewHost);
        if (attributes.NewPassword is not null)
            PostgreSqlNames.ValidatePassword(attributes.NewPassword);
        await RequireExistingAsync(admin, attributes.Name);
        var renamed = attributes.NewName is not null && attributes.NewName != attributes.Name;
        if (renamed && await ExistsAsync(admin, attributes.NewName!))
            throw AlreadyExists(attributes.NewName!);

        await using var transaction = await admin.Connection.BeginTransactionAsync(admin.CancellationToken);
        if (attributes.NewPassword is not null)
            await admin.ExecuteAsync($"ALTER ROLE {Quote(attributes.Name)} PASSWORD {PostgreSqlNames.QuoteLiteral(attributes.NewPassword)}");
        if (renamed)
            await admin.ExecuteAsync($"ALTER ROLE {Quote(attributes.Name)} RENAME TO {Quote(attributes.NewName!)}");
        await transaction.CommitAsync(admin.CancellationToken);
    }

    /// <summary>Checks every user first and changes all passwords in one transaction, so an unknown user changes nothing.</summary>
    public static async Task ChangePasswordsAsync(PostgreSqlAdmin admin, IReadOnlyList<UserSpec> users)
    {
        foreach (var user in users)
        {
            ValidateAccount(user.Name, user.Host);
            PostgreSqlNames.ValidatePassword(user.Password);
        }

        foreach (var user in users)
            await RequireExistingAsync(admin, user.Name);
        await using var transaction = await admin.Connection.BeginTransactionAsync(admin.CancellationToken);
        foreach (var user in users)
            await admin.ExecuteAsync($"ALTER ROLE {Quote(user.Name)} PASSWORD {PostgreSqlNames.QuoteLiteral(user.Password!)}");
        await transaction.CommitAsync(admin.CancellationToken);
    }

    public static async Task DeleteAsync(PostgreSqlAdmin admin, UserRef user)
    {
        ValidateAccount(user.Name, user.Host);
        await RequireExistingAsync(admin, user.Name);
        await DropRoleAsync(admin, user.Name);
    }

    /// <summary>
    /// Deletes a role that may own tables and hold grants. Its sessions are ended first (a deleted user must not
    /// keep working, and its open transactions would block the rest). In every database, what it owns is handed
    /// to <c>os_admin</c> (<c>REASSIGN OWNED</c>) rather than dropped, so deleting a user never deletes data
    /// other users of a shared database may depend on; <c>DROP OWNED</c> then removes its remaining grants.
    /// </summary>
    public static async Task DropRoleAsync(PostgreSqlAdmin admin, string name)
    {
        var role = Quote(name);
        await admin.ExecuteAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()", name);
        var databases = await admin.QueryAsync("SELECT datname FROM pg_database WHERE datallowconn ORDER BY datname");
        foreach (var database in databases.Select(row => row[0]!))
            await admin.InDatabaseAsync(database, $"REASSIGN OWNED BY {role} TO {PostgreSqlAdminCredentials.AdminUser}", $"DROP OWNED BY {role}");
        await admin.ExecuteAsync($"DROP ROLE {role}");
    }

    public static async Task GrantAccessAsync(PostgreSqlAdmin admin, AccessRequest request)
    {
        ValidateAccount(request.Name, request.Host);
        foreach (var database in request.Databases)
            PostgreSqlNames.ValidateUserDatabaseName(database);
        await RequireExistingAsync(admin, request.Name);
        await PostgreSqlDatabases.RequireExistingAsync(admin, request.Databases);
        await using var transaction = await admin.Connection.BeginTransactionAsync(admin.CancellationToken);
        foreach (var database in request.Databases)
            await GrantAsync(admin, request.Name, database);
        await transaction.CommitAsync(admin.CancellationToken);
    }

    /// <summary>Revokes every privilege on the database; <see cref="GuestErrorCodes.DatabaseNotFound"/> if the user had none.</summary>
    public static async Task RevokeAccessAsync(PostgreSqlAdmin admin, UserRef user, string database)
    {
        ValidateAccount(user.Name, user.Host);
        PostgreSqlNames.ValidateUserDatabaseName(database);
        await RequireExistingAsync(admin, user.Name);
        if (!(await AccessAsync(admin, user.Name)).Contains(database))
            throw new HandlerException(GuestErrorCodes.DatabaseNotFound, $"User '{user.Name}' has no access to database '{database}'.");
        await admin.ExecuteAsync($"REVOKE ALL ON DATABASE {PostgreSqlNames.QuoteIdentifier(database)} FROM {Quote(user.Name)}");
    }

    public static async Task<List<string>> ListAccessAsync(PostgreSqlAdmin admin, UserRef user)
    {
        await RequireVisibleAsync(admin, user.Name, user.Host);
        return await AccessAsync(admin, user.Name);
    }

    public static async Task<bool> ExistsAsync(PostgreSqlAdmin admin, string name) =>
        (await admin.QueryAsync("SELECT 1 FROM pg_roles WHERE rolname = $1", name)).Count > 0;

    private static Task GrantAsync(PostgreSqlAdmin admin, string user, string database) =>
        admin.ExecuteAsync($"GRANT ALL ON DATABASE {PostgreSqlNames.QuoteIdentifier(database)} TO {Quote(user)}");

    /// <summary>The databases the user was granted (explicit <c>CONNECT</c>, not <c>PUBLIC</c>'s or a superuser's).</summary>
    private static async Task<List<string>> AccessAsync(PostgreSqlAdmin admin, string name) =>
        (await admin.QueryAsync(AccessQuery("r.rolname = $1"), name))
            .Select(row => row[1]!)
            .Where(database => !PostgreSqlNames.IsReservedDatabase(database))
            .ToList();

    private static string AccessQuery(string condition) => $"""
        SELECT r.rolname, d.datname FROM pg_database d
        CROSS JOIN LATERAL aclexplode(d.datacl) a
        JOIN pg_roles r ON r.oid = a.grantee
        WHERE a.privilege_type = 'CONNECT' AND NOT d.datistemplate AND {condition}
        ORDER BY r.rolname, d.datname
        """;

    /// <summary>Reserved roles are hidden, except <c>root</c>, which exists only while root is enabled.</summary>
    private static bool IsVisible(string name) => !PostgreSqlNames.IsReservedUser(name) || name == PostgreSqlRoot.Name;

    private static async Task RequireVisibleAsync(PostgreSqlAdmin admin, string name, string host)
    {
        PostgreSqlNames.ValidateUserName(name);
        PostgreSqlNames.ValidateHost(host);
        if (!IsVisible(name) || !await ExistsAsync(admin, name))
            throw NotFound(name);
    }

    private static void ValidateAccount(string name, string host)
    {
        PostgreSqlNames.ValidateUserAccountName(name);
        PostgreSqlNames.ValidateHost(host);
    }

    private static async Task RequireExistingAsync(PostgreSqlAdmin admin, string name)
    {
        if (!await ExistsAsync(admin, name))
            throw NotFound(name);
    }

    private static string Quote(string name) => PostgreSqlNames.QuoteIdentifier(name);

    private static HandlerException NotFound(string name) => new(GuestErrorCodes.UserNotFound, $"User '{name}' does not exist.");

    private static HandlerException AlreadyExists(string name) => new(GuestErrorCodes.UserAlreadyExists, $"User '{name}' already exists.");
}
