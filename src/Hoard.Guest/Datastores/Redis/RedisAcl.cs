using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;

namespace Hoard.Guest.Datastores.Redis;

/// <summary>
/// Redis ACL users as Trove users: what a user may be named, what a password may hold, and which commands a
/// customer's user may run.
/// <para>
/// A user created through the API gets every key (<c>~*</c>), every channel (<c>&amp;*</c>) and every command
/// except Redis's <c>@dangerous</c> category, which covers, among others, FLUSHALL, FLUSHDB, CONFIG, DEBUG,
/// KEYS, SHUTDOWN, ACL, MODULE, SAVE, BGSAVE, BGREWRITEAOF, REPLICAOF/SLAVEOF, SYNC/PSYNC, MIGRATE, RESTORE,
/// CLUSTER, FAILOVER, MONITOR, SWAPDB, CLIENT KILL/LIST/PAUSE, LATENCY, SLOWLOG and LASTSAVE. Those are also
/// named one by one after the category (<see cref="DeniedCommands"/>) so the list reads the same whatever a
/// Redis version puts in the category. Two commands of the category are given back: INFO, which client
/// libraries and monitoring agents call on connect, and SORT/SORT_RO, ordinary data commands marked dangerous
/// only because they can read keys outside a key pattern (these users have every key anyway).
/// </para>
/// <para>
/// The instance's <c>default</c> user is Trove's root (all commands); the guest's own <c>os_admin</c> has all
/// commands too and is reached only over the unix socket; <c>os_repl</c> is the replicas' account (see
/// <see cref="ReplicationRules"/>). All three names are reserved.
/// </para>
/// </summary>
internal static partial class RedisAcl
{
    public const string DefaultUser = "default";
    public const string AdminUser = "os_admin";

    /// <summary>The account a replica authenticates as to its source (<c>masteruser</c>).</summary>
    public const string ReplicationUser = "os_repl";
    public const int MaxUserNameLength = 64;
    public const int MaxPasswordLength = 255;

    /// <summary>Commands denied to customer users, beyond <c>-@dangerous</c>.</summary>
    public static readonly IReadOnlyList<string> DeniedCommands =
    [
        "flushall", "flushdb", "config", "debug", "keys", "shutdown", "acl", "module", "save", "bgsave", "bgrewriteaof",
        "replicaof", "slaveof", "sync", "psync", "migrate", "restore", "cluster", "failover", "monitor", "swapdb",
    ];

    /// <summary>Commands of <c>@dangerous</c> that customer users keep.</summary>
    public static readonly IReadOnlyList<string> AllowedDangerousCommands = ["info", "sort", "sort_ro"];

    /// <summary>The rules every customer user gets, after <c>reset on</c> and its passwords.</summary>
    public static IEnumerable<string> UserRules()
    {
        yield return "~*";
        yield return "&*";
        yield return "+@all";
        yield return "-@dangerous";
        foreach (var command in AllowedDangerousCommands)
            yield return "+" + command;
        foreach (var command in DeniedCommands)
            yield return "-" + command;
    }

    /// <summary>The rules of the reserved users: everything.</summary>
    public static IEnumerable<string> AllRules() => ["~*", "&*", "+@all"];

    /// <summary>What a replica needs of its source and nothing more: no keys, no channels, no data commands.</summary>
    public static IEnumerable<string> ReplicationRules() => ["+psync", "+replconf", "+ping"];

    public static bool IsReservedUser(string name) => name is DefaultUser or AdminUser or ReplicationUser;

    public static void ValidateUserName(string? name)
    {
        if (string.IsNullOrEmpty(name))
            throw BadRequest("A user name is required.");
        if (!UserNamePattern().IsMatch(name))
            throw BadRequest($"User name '{Shorten(name)}' is invalid: use 1 to {MaxUserNameLength} letters, digits, '_', '.' and '-'.");
    }

    /// <summary>A valid name that is not <c>default</c> or <c>os_admin</c>.</summary>
    public static void ValidateCustomerUserName(string? name)
    {
        ValidateUserName(name);
        if (IsReservedUser(name!))
            throw BadRequest($"User name '{name}' is reserved.");
    }

    /// <summary>
    /// Redis users have no host; Trove's wildcard host <c>%</c> (the API's default) is the only one accepted.
    /// </summary>
    public static void ValidateHost(string? host)
    {
        if (host is not (null or "%"))
            throw BadRequest($"Redis users have no host; '{Shorten(host)}' cannot be used.");
    }

    /// <summary>Never echoes the password. It travels as its own argument, so only invisible characters are refused.</summary>
    public static void ValidatePassword(string? password)
    {
        if (string.IsNullOrEmpty(password))
            throw BadRequest("A password is required.");
        if (password.Length > MaxPasswordLength)
            throw BadRequest($"The password is longer than {MaxPasswordLength} characters.");
        if (password.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            throw BadRequest("The password must not contain whitespace or control characters.");
    }

    /// <summary>The ACL file's form of a password (<c>#</c> and its SHA-256), so no password is written in clear.</summary>
    public static string PasswordHash(string password) =>
        "#" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(password)));

    private static string Shorten(string? text) => text is null ? "" : text.Length > 70 ? text[..70] + "…" : text;

    private static HandlerException BadRequest(string message) => new(GuestErrorCodes.BadRequest, message);

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex UserNamePattern();
}
