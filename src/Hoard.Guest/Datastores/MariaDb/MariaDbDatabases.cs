using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;

namespace Hoard.Guest.Datastores.MariaDb;

/// <summary>Database verbs, run on an administrator connection. Every name is validated before any SQL runs.</summary>
internal static class MariaDbDatabases
{
    /// <summary>All or nothing: nothing is created if any name is invalid or taken, or if any creation fails.</summary>
    public static void Create(MariaDbConnection connection, IReadOnlyList<DatabaseSpec> databases)
    {
        Validate(databases);
        foreach (var database in databases)
        {
            if (Exists(connection, database.Name))
                throw new HandlerException(GuestErrorCodes.DatabaseAlreadyExists, $"Database '{database.Name}' already exists.");
        }

        var created = new List<string>();
        try
        {
            foreach (var database in databases)
            {
                var sql = "CREATE DATABASE " + MariaDbNames.QuoteIdentifier(database.Name);
                if (database.CharacterSet is not null)
                    sql += " CHARACTER SET " + database.CharacterSet;
                if (database.Collate is not null)
                    sql += " COLLATE " + database.Collate;
                connection.Execute(sql);
                created.Add(database.Name);
            }
        }
        catch (MariaDbException e)
        {
            foreach (var name in created)
                connection.Execute("DROP DATABASE IF EXISTS " + MariaDbNames.QuoteIdentifier(name));
            throw e.ErrorNumber switch
            {
                MariaDbException.DatabaseExists => new HandlerException(GuestErrorCodes.DatabaseAlreadyExists, e.Message),
                MariaDbException.UnknownCharacterSet or MariaDbException.UnknownCollation or MariaDbException.CollationCharsetMismatch =>
                    new HandlerException(GuestErrorCodes.BadRequest, e.Message),
                _ => e,
            };
        }
    }

    /// <summary>Checks names, character sets and collations, and that no name is listed twice.</summary>
    public static void Validate(IReadOnlyList<DatabaseSpec> databases)
    {
        foreach (var database in databases)
        {
            MariaDbNames.ValidateUserDatabaseName(database.Name);
            MariaDbNames.ValidateCharsetName(database.CharacterSet, "Character set");
            MariaDbNames.ValidateCharsetName(database.Collate, "Collation");
        }

        var duplicate = databases.GroupBy(d => d.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new HandlerException(GuestErrorCodes.BadRequest, $"Database '{duplicate.Key}' is listed more than once.");
    }

    /// <summary>The users' databases; the server's own are left out.</summary>
    public static List<DatabaseSpec> List(MariaDbConnection connection) =>
        connection.Query("""
                SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME
                FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME
                """)
            .Where(row => !MariaDbNames.IsReservedDatabase(row[0]!))
            .Select(row => new DatabaseSpec(row[0]!, row[1], row[2]))
            .ToList();

    public static void Delete(MariaDbConnection connection, string name)
    {
        MariaDbNames.ValidateUserDatabaseName(name);
        try
        {
            connection.Execute("DROP DATABASE " + MariaDbNames.QuoteIdentifier(name));
        }
        catch (MariaDbException e) when (e.ErrorNumber == MariaDbException.DatabaseDoesNotExist)
        {
            throw NotFound(name);
        }
    }

    public static bool Exists(MariaDbConnection connection, string name) =>
        connection.Query($"SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = {connection.Literal(name)}").Count > 0;

    /// <summary>Throws <see cref="GuestErrorCodes.DatabaseNotFound"/> for the first of <paramref name="names"/> that does not exist.</summary>
    public static void RequireExisting(MariaDbConnection connection, IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            if (!Exists(connection, name))
                throw NotFound(name);
        }
    }

    public static HandlerException NotFound(string name) =>
        new(GuestErrorCodes.DatabaseNotFound, $"Database '{name}' does not exist.");
}
