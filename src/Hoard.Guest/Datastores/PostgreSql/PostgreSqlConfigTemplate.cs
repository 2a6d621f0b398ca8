using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Backups;

namespace Hoard.Guest.Datastores.PostgreSql;

/// <summary>
/// Renders the instance's <c>postgresql.conf</c> (tuned to the flavor's memory), <c>pg_hba.conf</c> and
/// <c>pg_ident.conf</c>. No <c>trust</c> anywhere: users log in over TCP with SCRAM; the guest's <c>os_admin</c>
/// only over the unix socket with SCRAM; <c>postgres</c> only over the socket, by peer identity of the guest.
/// </summary>
internal static partial class PostgreSqlConfigTemplate
{
    /// <summary>Settings the guest depends on to find, reach and secure its server; an override would cut it off.</summary>
    private static readonly HashSet<string> ProtectedKeys = new(StringComparer.Ordinal)
    {
        "data_directory", "config_file", "hba_file", "ident_file", "external_pid_file", "port", "listen_addresses",
        "unix_socket_directories", "unix_socket_permissions", "unix_socket_group", "password_encryption",
        "logging_collector", "log_destination", "log_directory", "log_statement", "log_min_error_statement",
        "ssl", "shared_preload_libraries", "local_preload_libraries", "session_preload_libraries",
        "wal_level", "archive_mode", "archive_command", "archive_library", "restore_command", "archive_cleanup_command",
        "recovery_end_command", "recovery_target", "recovery_target_time", "recovery_target_xid", "recovery_target_name",
        "recovery_target_lsn", "recovery_target_inclusive", "recovery_target_action", "recovery_target_timeline",
        "primary_conninfo", "primary_slot_name",
    };

    /// <summary>How old the end of the recovery window may get: a segment with changes is archived after this at the latest.</summary>
    public const int ArchiveTimeoutSeconds = 60;

    /// <summary>The name of the peer map in <c>pg_ident.conf</c>.</summary>
    public const string IdentMap = "guest";

    public static string Render(GuestConfig config, int memoryMb, IReadOnlyDictionary<string, string>? overrides) =>
        Render(Settings(config, memoryMb, overrides));

    /// <summary>A postgresql.conf of <paramref name="settings"/> as <see cref="Settings"/> gives them.</summary>
    public static string Render(IEnumerable<KeyValuePair<string, string>> settings)
    {
        var builder = new StringBuilder("# Written by the Hoard guest agent; changes are overwritten.\n");
        foreach (var (key, value) in settings)
            builder.Append(key).Append(" = ").Append(value).Append('\n');
        return builder.ToString();
    }

    /// <summary>A value as written by <see cref="Settings"/>, without its quotes.</summary>
    public static string Unquote(string value) =>
        value.Length >= 2 && value[0] == '\'' && value[^1] == '\'' ? value[1..^1].Replace("''", "'", StringComparison.Ordinal) : value;

    /// <summary>The settings in order, with overrides applied last; values are already in postgresql.conf syntax.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Settings(
        GuestConfig config, int memoryMb, IReadOnlyDictionary<string, string>? overrides)
    {
        if (memoryMb <= 0)
            throw new HandlerException(GuestErrorCodes.BadRequest, $"Flavor memory {memoryMb} MB is invalid.");
        var paths = PostgreSqlPaths.For(config.Paths);
        var connections = MaxConnections(memoryMb);
        var sharedBuffers = SharedBuffersMb(memoryMb);
        var settings = new List<KeyValuePair<string, string>>
        {
            new("listen_addresses", Literal(config.Address)),
            new("port", config.Port.ToString(CultureInfo.InvariantCulture)),
            new("unix_socket_directories", Literal(paths.SocketDirectory)),
            new("unix_socket_permissions", "0700"),
            new("password_encryption", "scram-sha-256"),
            new("ssl", "off"),
            new("max_connections", connections.ToString(CultureInfo.InvariantCulture)),
            new("shared_buffers", Megabytes(sharedBuffers)),
            new("effective_cache_size", Megabytes(memoryMb * 3 / 4)),
            new("work_mem", Megabytes(WorkMemMb(memoryMb))),
            new("maintenance_work_mem", Megabytes(Math.Clamp(memoryMb / 16, 16, 1024))),
            new("wal_buffers", Megabytes(Math.Clamp(sharedBuffers / 32, 1, 16))),
            new("dynamic_shared_memory_type", "posix"),
            new("max_wal_size", Megabytes(memoryMb < 1024 ? 256 : 1024)),
            new("min_wal_size", Megabytes(memoryMb < 1024 ? 64 : 80)),
            new("logging_collector", "off"),
            new("log_destination", Literal("stderr")),
            new("log_line_prefix", Literal("%m [%p] %q%u@%d ")),
            new("log_statement", Literal("none")),
            new("log_timezone", Literal("UTC")),
            new("timezone", Literal("UTC")),
            new("datestyle", Literal("iso, mdy")),
            new("lc_messages", Literal("C.UTF-8")),
            new("lc_monetary", Literal("C.UTF-8")),
            new("lc_numeric", Literal("C.UTF-8")),
            new("lc_time", Literal("C.UTF-8")),
            new("default_text_search_config", Literal("pg_catalog.english")),
            new("wal_level", "replica"),
            new("archive_mode", "on"),
            new("archive_command", Literal(ArchiveCommand(WalSpool.Directory(config.Paths)))),
            new("archive_timeout", $"{ArchiveTimeoutSeconds.ToString(CultureInfo.InvariantCulture)}s"),
        };

        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            ValidateOverride(key, value);
            var index = settings.FindIndex(setting => setting.Key == key);
            var rendered = new KeyValuePair<string, string>(key, Literal(value));
            if (index >= 0)
                settings[index] = rendered;
            else
                settings.Add(rendered);
        }

        return settings;
    }

    /// <summary>
    /// PostgreSQL's half of WAL archiving (see <see cref="WalSpool"/>): copy the finished file into the spool under a
    /// temporary name, fsync it, rename it into place and fsync the directory, so that a file the spool shows is whole and
    /// survives a crash; success is what PostgreSQL needs to recycle the segment. A file already spooled with the same bytes
    /// succeeds (PostgreSQL repeats an archive it could not confirm); one with other bytes fails rather than be replaced.
    /// Without the spool (an instance that does not archive) it succeeds at once and keeps nothing.
    /// </summary>
    public static string ArchiveCommand(string spool)
    {
        RequirePlainPath(spool);
        return $"test -d \"{spool}\" || exit 0; f=\"{spool}/%f\"; t=\"{spool}/{WalSpool.TemporaryPrefix}%f.tmp\"; " +
               "if test -f \"$f\"; then cmp -s \"%p\" \"$f\"; exit $?; fi; " +
               $"cp --preserve=timestamps \"%p\" \"$t\" && sync \"$t\" && mv \"$t\" \"$f\" && sync \"{spool}\"";
    }

    /// <summary>Paths go into shell commands inside postgresql.conf: nothing the shell or PostgreSQL's % escapes would read.</summary>
    public static void RequirePlainPath(string path)
    {
        if (path.Any(c => char.IsControl(c) || c is '"' or '\'' or '$' or '`' or '\\' or '%'))
            throw new InvalidOperationException($"The path {path} cannot be used in a PostgreSQL archive or restore command.");
    }

    /// <summary>A quarter of the memory from 1 GB up; about 15 % below, never under 16 MB.</summary>
    public static int SharedBuffersMb(int memoryMb) => memoryMb >= 1024 ? memoryMb / 4 : Math.Max(16, memoryMb * 15 / 100);

    public static int MaxConnections(int memoryMb) => Math.Clamp(memoryMb / 10, 20, 500);

    /// <summary>What is left after shared buffers, shared by every connection running two sorts at once; 1 to 64 MB.</summary>
    public static int WorkMemMb(int memoryMb) =>
        Math.Clamp((memoryMb - SharedBuffersMb(memoryMb)) / (MaxConnections(memoryMb) * 2), 1, 64);

    /// <summary>
    /// Socket only: <c>os_admin</c> with its password (also for the replication connection of its backups),
    /// <c>postgres</c> by the peer identity of the guest's (and the service user's) OS account. Over TCP:
    /// <c>postgres</c> and <c>os_admin</c> refused, and <c>os_repl</c> (left in data restored from a replication
    /// member), everyone else SCRAM. Anything that matches no line is refused.
    /// A member of a replication set (<paramref name="replicationMember"/>) also lets <c>os_repl</c> stream over TCP (and
    /// nothing else), and its guest is <c>os_admin</c> by peer identity: a replica's copy of the role carries its source's
    /// password, which a read-only standby cannot change.
    /// </summary>
    public static string RenderHba(bool replicationMember = false) => replicationMember
        ? $"""
        # Written by the Hoard guest agent; changes are overwritten.
        # TYPE  DATABASE     USER      ADDRESS     METHOD
        local   all          os_admin              peer map={IdentMap}
        local   replication  os_admin              peer map={IdentMap}
        local   all          postgres              peer map={IdentMap}
        host    all          postgres  all         reject
        host    all          os_admin  all         reject
        host    all          {ReplicationUser}   all         reject
        host    replication  {ReplicationUser}   0.0.0.0/0   scram-sha-256
        host    replication  {ReplicationUser}   ::/0        scram-sha-256
        host    all          all       0.0.0.0/0   scram-sha-256
        host    all          all       ::/0        scram-sha-256

        """
        : """
        # Written by the Hoard guest agent; changes are overwritten.
        # TYPE  DATABASE     USER      ADDRESS     METHOD
        local   all          os_admin              scram-sha-256
        local   replication  os_admin              scram-sha-256
        local   all          postgres              peer map=guest
        host    all          postgres  all         reject
        host    all          os_admin  all         reject
        host    all          os_repl   all         reject
        host    all          all       0.0.0.0/0   scram-sha-256
        host    all          all       ::/0        scram-sha-256

        """;

    /// <summary>The role replicas stream with.</summary>
    public const string ReplicationUser = "os_repl";

    /// <summary>
    /// The OS accounts that may be <c>postgres</c> over the socket: the guest's and the server's; with
    /// <paramref name="admin"/>, also <c>os_admin</c> (where pg_hba.conf says peer for it: a replication member).
    /// </summary>
    public static string RenderIdent(IEnumerable<string> osUsers, bool admin = false)
    {
        var builder = new StringBuilder("# Written by the Hoard guest agent; changes are overwritten.\n");
        foreach (var user in osUsers.Distinct(StringComparer.Ordinal))
        {
            if (!OsUserPattern().IsMatch(user))
                throw new InvalidOperationException($"OS user name '{user}' cannot be written to pg_ident.conf.");
            builder.Append(IdentMap).Append(' ').Append(user).Append(" postgres\n");
            if (admin)
                builder.Append(IdentMap).Append(' ').Append(user).Append(' ').Append(PostgreSqlAdminCredentials.AdminUser).Append('\n');
        }

        return builder.ToString();
    }

    private static void ValidateOverride(string key, string value)
    {
        if (!OverrideKeyPattern().IsMatch(key))
            throw new HandlerException(GuestErrorCodes.BadRequest, $"Configuration key '{key}' is invalid: use lower-case letters, digits, '_' and '.'.");
        if (ProtectedKeys.Contains(key))
            throw new HandlerException(GuestErrorCodes.BadRequest, $"Configuration key '{key}' is managed by the guest and cannot be overridden.");
        if (value is null || value.Any(char.IsControl) || value.Contains('\\'))
            throw new HandlerException(GuestErrorCodes.BadRequest, $"The value of configuration key '{key}' must be one line of text without backslashes.");
    }

    /// <summary>A postgresql.conf string: single quotes doubled. Every value may be quoted, numbers included.</summary>
    private static string Literal(string value) => "'" + value.Replace("'", "''") + "'";

    private static string Megabytes(int value) => $"{value.ToString(CultureInfo.InvariantCulture)}MB";

    [GeneratedRegex(@"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$")]
    private static partial Regex OverrideKeyPattern();

    [GeneratedRegex("^[a-z_][a-z0-9_.-]*$")]
    private static partial Regex OsUserPattern();
}
