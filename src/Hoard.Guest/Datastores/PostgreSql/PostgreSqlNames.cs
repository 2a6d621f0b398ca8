using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;

namespace Hoard.Guest.Datastores.PostgreSql;

/// <summary>
/// What a user may name things in PostgreSQL, and how names and passwords become SQL. Every name is validated
/// before it is quoted, so quoting never has to defend against hostile input on its own.
/// </summary>
internal static partial class PostgreSqlNames
{
    /// <summary>NAMEDATALEN - 1: longer identifiers are silently truncated by the server, so they are refused.</summary>
    public const int MaxIdentifierBytes = 63;
    public const int MaxPasswordLength = Passwords.MaxLength;

    public const string DefaultEncoding = "UTF8";
    public const string DefaultCollation = "C.UTF-8";

    private static readonly HashSet<string> ReservedDatabases = new(StringComparer.OrdinalIgnoreCase)
    {
        "postgres", "template0", "template1",
    };

    /// <summary><c>public</c> and <c>none</c> are refused by the server itself; <c>root</c> belongs to "root enabled".</summary>
    private static readonly HashSet<string> ReservedUsers = new(StringComparer.OrdinalIgnoreCase)
    {
        "postgres", "os_admin", "os_repl", "root", "public", "none",
    };

    private static readonly SearchValues<char> ForbiddenCharacters = SearchValues.Create("'\";`,/\\");

    public static bool IsReservedDatabase(string name) => ReservedDatabases.Contains(name);

    /// <summary>The server reserves every role name starting with <c>pg_</c>.</summary>
    public static bool IsReservedUser(string name) =>
        ReservedUsers.Contains(name) || name.StartsWith("pg_", StringComparison.Ordinal);

    public static void ValidateDatabaseName(string? name)
    {
        if (string.IsNullOrEmpty(name))
            throw BadRequest("A database name is required.");
        if (Encoding.UTF8.GetByteCount(name) > MaxIdentifierBytes)
            throw BadRequest($"Database name '{name}' is longer than {MaxIdentifierBytes} bytes.");
        if (!DatabaseNamePattern().IsMatch(name))
            throw BadRequest($"Database name '{name}' is invalid: use letters, digits, '_' and '-', with ' ', '?', '#' or '@' only inside.");
    }

    /// <summary>A valid name that is not one of the server's own databases.</summary>
    public static void ValidateUserDatabaseName(string? name)
    {
        ValidateDatabaseName(name);
        if (IsReservedDatabase(name!))
            throw BadRequest($"Database name '{name}' is reserved.");
    }

    public static void ValidateUserName(string? name)
    {
        if (string.IsNullOrEmpty(name))
            throw BadRequest("A user name is required.");
        if (Encoding.UTF8.GetByteCount(name) > MaxIdentifierBytes)
            throw BadRequest($"User name '{name}' is longer than {MaxIdentifierBytes} bytes.");
        if (char.IsWhiteSpace(name[0]) || char.IsWhiteSpace(name[^1]))
            throw BadRequest($"User name '{name}' must not start or end with whitespace.");
        if (name.IndexOfAny(ForbiddenCharacters) >= 0 || name.Any(char.IsControl))
            throw BadRequest($"User name '{name}' must not contain control characters or any of ' \" ; ` , / \\.");
    }

    /// <summary>A valid name that is not one of the roles the server or the guest owns.</summary>
    public static void ValidateUserAccountName(string? name)
    {
        ValidateUserName(name);
        if (IsReservedUser(name!))
            throw BadRequest($"User name '{name}' is reserved.");
    }

    /// <summary>PostgreSQL roles have no host; Trove's default '%' is the only one accepted.</summary>
    public static void ValidateHost(string? host)
    {
        if (host is not null and not "%")
            throw BadRequest($"Host '{host}' is invalid: PostgreSQL users have no host; use '%' or leave it out.");
    }

    /// <summary>Never echoes the password.</summary>
    public static void ValidatePassword(string? password) => Passwords.Validate(password);

    /// <summary>Server encoding names (<c>UTF8</c>, <c>LATIN1</c>, <c>WIN1252</c>); the server decides whether it knows them.</summary>
    public static void ValidateEncoding(string? name)
    {
        if (name is not null && !EncodingPattern().IsMatch(name))
            throw BadRequest($"Character set '{name}' is invalid.");
    }

    /// <summary>Locale names (<c>C</c>, <c>C.UTF-8</c>, <c>en_US.utf8</c>); the server decides whether it has them.</summary>
    public static void ValidateCollation(string? name)
    {
        if (name is not null && !CollationPattern().IsMatch(name))
            throw BadRequest($"Collation '{name}' is invalid.");
    }

    /// <summary>A double-quoted identifier; inner double quotes doubled (validation already refuses them).</summary>
    public static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"") + "\"";

    /// <summary>
    /// A standard-conforming string literal. Only for what cannot be a bind parameter (<c>PASSWORD</c>,
    /// <c>ENCODING</c>, <c>LC_COLLATE</c>), after validation has refused quotes and backslashes.
    /// </summary>
    public static string QuoteLiteral(string value)
    {
        if (value.Contains('\\') || value.Contains('\0'))
            throw BadRequest("The value must not contain backslashes or NUL characters.");
        return "'" + value.Replace("'", "''") + "'";
    }

    private static HandlerException BadRequest(string message) => new(GuestErrorCodes.BadRequest, message);

    [GeneratedRegex(@"^[A-Za-z0-9_-]+([ ?#@]*[A-Za-z0-9_-]+)?$")]
    private static partial Regex DatabaseNamePattern();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]{0,31}$")]
    private static partial Regex EncodingPattern();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_.@-]{0,63}$")]
    private static partial Regex CollationPattern();
}
