using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;

namespace Hoard.Guest.Datastores.MariaDb;

/// <summary>
/// What a user may name things in MariaDB (Trove's rules), and how names become SQL. Every name is validated
/// before it is quoted, so quoting never has to defend against hostile input on its own.
/// </summary>
internal static partial class MariaDbNames
{
    public const int MaxDatabaseNameLength = 64;
    public const int MaxUserNameLength = 80;
    public const int MaxPasswordLength = Passwords.MaxLength;

    private static readonly HashSet<string> ReservedDatabases = new(StringComparer.OrdinalIgnoreCase)
    {
        "mysql", "information_schema", "performance_schema", "sys", "lost+found", "#mysql50#lost+found",
    };

    private static readonly HashSet<string> ReservedUsers = new(StringComparer.Ordinal)
    {
        "root", "os_admin", "os_repl", "mariadb.sys", "mysql.sys", "mysql.session", "mysql.infoschema",
    };

    private static readonly SearchValues<char> ForbiddenUserCharacters = SearchValues.Create("'\";`,/\\");

    public static bool IsReservedDatabase(string name) => ReservedDatabases.Contains(name);

    public static bool IsReservedUser(string name) => ReservedUsers.Contains(name);

    public static void ValidateDatabaseName(string? name)
    {
        if (string.IsNullOrEmpty(name))
            throw BadRequest("A database name is required.");
        if (name.Length > MaxDatabaseNameLength)
            throw BadRequest($"Database name '{name}' is longer than {MaxDatabaseNameLength} characters.");
        // Trove's rule, with the whitespace narrowed to a plain space: a tab or newline in a name is never intended.
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
        if (name.Length > MaxUserNameLength)
            throw BadRequest($"User name '{name}' is longer than {MaxUserNameLength} characters.");
        if (char.IsWhiteSpace(name[0]) || char.IsWhiteSpace(name[^1]))
            throw BadRequest($"User name '{name}' must not start or end with whitespace.");
        if (name.IndexOfAny(ForbiddenUserCharacters) >= 0 || name.Any(char.IsControl))
            throw BadRequest($"User name '{name}' must not contain control characters or any of ' \" ; ` , / \\.");
    }

    /// <summary>A valid name that is not one of the accounts the server or the guest owns.</summary>
    public static void ValidateUserAccountName(string? name)
    {
        ValidateUserName(name);
        if (IsReservedUser(name!))
            throw BadRequest($"User name '{name}' is reserved.");
    }

    /// <summary>Never echoes the password.</summary>
    public static void ValidatePassword(string? password) => Passwords.Validate(password);

    /// <summary>
    /// <c>%</c>, <c>localhost</c>, or an IP address in which <c>%</c> may stand for any part (Trove: with each
    /// <c>%</c> read as <c>1</c> it must be an IP address), optionally an IPv4 address with a dotted netmask.
    /// Host names are refused: the server runs with skip-name-resolve, so they would never match.
    /// </summary>
    public static void ValidateHost(string? host)
    {
        if (string.IsNullOrEmpty(host))
            throw BadRequest("A host is required.");
        if (host is "%" or "localhost")
            return;
        if (!IsIpPattern(host))
            throw BadRequest($"Host '{host}' is invalid: use '%', 'localhost', an IP address (with '%' as a wildcard) or an IPv4 address/netmask.");
    }

    /// <summary>Character set and collation names; the server decides whether it knows them.</summary>
    public static void ValidateCharsetName(string? name, string what)
    {
        if (name is not null && !CharsetNamePattern().IsMatch(name))
            throw BadRequest($"{what} '{name}' is invalid.");
    }

    public static string QuoteIdentifier(string name) => "`" + name.Replace("`", "``") + "`";

    /// <summary>
    /// The database part of <c>GRANT ... ON db.*</c>. In a grant, <c>_</c> and <c>%</c> are wildcards; escaping
    /// them stops a grant on <c>my_db</c> also covering <c>myXdb</c>.
    /// </summary>
    public static string GrantDatabase(string name) =>
        QuoteIdentifier(name.Replace("\\", "\\\\").Replace("_", "\\_").Replace("%", "\\%"));

    /// <summary>The database a <c>mysql.db</c> row's <c>Db</c> pattern names, with grant escapes removed.</summary>
    public static string UnescapeGrantDatabase(string pattern)
    {
        if (!pattern.Contains('\\'))
            return pattern;
        var builder = new System.Text.StringBuilder(pattern.Length);
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\' && i + 1 < pattern.Length)
                i++;
            builder.Append(pattern[i]);
        }

        return builder.ToString();
    }

    /// <summary><c>'name'@'host'</c>, escaped by the server's own rules.</summary>
    public static string Account(MariaDbConnection connection, string name, string host) =>
        connection.Literal(name) + "@" + connection.Literal(host);

    private static bool IsIpPattern(string host)
    {
        var slash = host.IndexOf('/');
        if (slash >= 0)
        {
            // MariaDB's host/netmask form: a full IPv4 address and a dotted netmask, no wildcards.
            var address = host[..slash];
            var mask = host[(slash + 1)..];
            return !host.Contains('%') && IsIpv4(address) && IsIpv4(mask) && IsContiguousMask(IPAddress.Parse(mask));
        }

        if (host.Contains(':'))
        {
            var candidate = host.Replace('%', '1');
            return candidate.All(c => char.IsAsciiHexDigit(c) || c is ':' or '.')
                && IPAddress.TryParse(candidate, out var address)
                && address.AddressFamily == AddressFamily.InterNetworkV6;
        }

        var parts = host.Split('.');
        if (parts.Length is < 1 or > 4)
            return false;
        // A short address only makes sense when it ends in a wildcard ("10.0.%"); "10.0" would match nothing.
        if (parts.Length < 4 && parts[^1] != "%")
            return false;
        return parts.All(part => IsIpv4Part(part.Replace('%', '1')));
    }

    private static bool IsIpv4(string text)
    {
        var parts = text.Split('.');
        return parts.Length == 4 && parts.All(IsIpv4Part);
    }

    private static bool IsIpv4Part(string part) =>
        part.Length is >= 1 and <= 3 && part.All(char.IsAsciiDigit) && int.Parse(part) <= 255;

    private static bool IsContiguousMask(IPAddress mask)
    {
        var bytes = mask.GetAddressBytes();
        var hostBits = ~(uint)(bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]);
        return (hostBits & (hostBits + 1)) == 0;
    }

    private static HandlerException BadRequest(string message) => new(GuestErrorCodes.BadRequest, message);

    [GeneratedRegex(@"^[A-Za-z0-9_-]+([ ?#@]*[A-Za-z0-9_-]+)?$")]
    private static partial Regex DatabaseNamePattern();

    [GeneratedRegex("^[a-z0-9_]+$")]
    private static partial Regex CharsetNamePattern();
}
