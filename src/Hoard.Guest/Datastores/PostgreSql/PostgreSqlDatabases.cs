using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Npgsql;

namespace Hoard.Guest.Datastores.PostgreSql;

/// <summary>
/// Database verbs. A database is owned by the guest's <c>os_admin</c>; users reach it only through grants:
/// <c>CONNECT</c> and <c>TEMPORARY</c> are taken from <c>PUBLIC</c> at creation, and <c>CREATE</c> on its
/// <c>public</c> schema is given back to <c>PUBLIC</c> inside it (PostgreSQL 15 no longer does), so whoever is
/// granted the database can create tables in it and nobody else can get in.
/// </summary>
internal static class PostgreSqlDatabases
{
    /// <summary>All or nothing: nothing is created if any name is invalid or taken, or if any creation fails.</summary>
    public static async Task CreateAsync(PostgreSqlAdmin admin, IReadOnlyList<DatabaseSpec> databases)
    {
        Validate(databases);
        foreach (var database in databases)
        {
            if (await ExistsAsync(admin, database.Name))
                throw new HandlerException(GuestErrorCodes.DatabaseAlreadyExists, $"Database '{database.Name}' already exists.");
        }

        var created = new List<string>();
        try
        {
            foreach (var database in databases)
            {
                var name = PostgreSqlNames.QuoteIdentifier(database.Name);
                var encoding = database.CharacterSet ?? PostgreSqlNames.DefaultEncoding;
                // C.UTF-8 only fits UTF8; any other encoding gets the encoding-neutral C locale unless told otherwise.
                var collation = database.Collate
                    ?? (string.Equals(encoding, PostgreSqlNames.DefaultEncoding, StringComparison.OrdinalIgnoreCase) ? PostgreSqlNames.DefaultCollation : "C");
                await admin.ExecuteAsync(
                    $"CREATE DATABASE {name} TEMPLATE template0 ENCODING {PostgreSqlNames.QuoteLiteral(encoding)} " +
                    $"LC_COLLATE {PostgreSqlNames.QuoteLiteral(collation)} LC_CTYPE {PostgreSqlNames.QuoteLiteral(collation)}");
                created.Add(database.Name);
                await admin.ExecuteAsync($"REVOKE ALL ON DATABASE {name} FROM PUBLIC");
                await admin.InDatabaseAsync(database.Name, "GRANT ALL ON SCHEMA public TO PUBLIC");
            }
        }
        catch (PostgresException e)
        {
            foreach (var name in created)
                await admin.ExecuteAsync($"DROP DATABASE IF EXISTS {PostgreSqlNames.QuoteIdentifier(name)} WITH (FORCE)");
            throw e.SqlState switch
            {
                PostgresErrorCodes.DuplicateDatabase => new HandlerException(GuestErrorCodes.DatabaseAlreadyExists, e.MessageText),
                // Unknown encoding or locale, or a locale that does not fit the encoding.
                PostgresErrorCodes.UndefinedObject or PostgresErrorCodes.InvalidParameterValue or PostgresErrorCodes.WrongObjectType
                    or PostgresErrorCodes.FeatureNotSupported
                    or PostgresErrorCodes.SyntaxError => new HandlerException(GuestErrorCodes.BadRequest, e.MessageText),
                _ => e,
            };
        }
    }

    /// <summary>Checks names, encodings and collations, and that no name is listed twice.</summary>
    public static void Validate(IReadOnlyList<DatabaseSpec> databases)
    {
        foreach (var database in databases)
        {
            PostgreSqlNames.ValidateUserDatabaseName(database.Name);
            PostgreSqlNames.ValidateEncoding(database.CharacterSet);
            PostgreSqlNames.ValidateCollation(database.Collate);
        }

        var duplicate = databases.GroupBy(d => d.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new HandlerException(GuestErrorCodes.BadRequest, $"Database '{duplicate.Key}' is listed more than once.");
    }

    /// <summary>The users' databases; <c>postgres</c> and the templates are left out.</summary>
    public static async Task<List<DatabaseSpec>> ListAsync(PostgreSqlAdmin admin) =>
        (await admin.QueryAsync("""
                SELECT datname, pg_encoding_to_char(encoding), datcollate FROM pg_database
                WHERE NOT datistemplate ORDER BY datname
                """))
            .Where(row => !PostgreSqlNames.IsReservedDatabase(row[0]!))
            .Select(row => new DatabaseSpec(row[0]!, row[1], row[2]))
            .ToList();

    /// <summary>
    /// Drops the database even while clients are connected to it: <c>WITH (FORCE)</c> terminates their sessions
    /// first. Deleting a database is the owner's explicit request through the API, and a session left open by
    /// an application would otherwise make the request fail for as long as the application lives.
    /// </summary>
    public static async Task DeleteAsync(PostgreSqlAdmin admin, string name)
    {
        PostgreSqlNames.ValidateUserDatabaseName(name);
        try
        {
            await admin.ExecuteAsync($"DROP DATABASE {PostgreSqlNames.QuoteIdentifier(name)} WITH (FORCE)");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            throw NotFound(name);
        }
    }

    public static async Task<bool> ExistsAsync(PostgreSqlAdmin admin, string name) =>
        (await admin.QueryAsync("SELECT 1 FROM pg_database WHERE datname = $1", name)).Count > 0;

    /// <summary>Throws <see cref="GuestErrorCodes.DatabaseNotFound"/> for the first of <paramref name="names"/> that does not exist.</summary>
    public static async Task RequireExistingAsync(PostgreSqlAdmin admin, IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            if (PostgreSqlNames.IsReservedDatabase(name) || !await ExistsAsync(admin, name))
                throw NotFound(name);
        }
    }

    public static HandlerException NotFound(string name) =>
        new(GuestErrorCodes.DatabaseNotFound, $"Database '{name}' does not exist.");
}
