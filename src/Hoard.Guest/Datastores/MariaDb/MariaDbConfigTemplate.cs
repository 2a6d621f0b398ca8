using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;

namespace Hoard.Guest.Datastores.MariaDb;

/// <summary>Renders the instance's <c>my.cnf</c>, tuned to the flavor's memory (Trove's rules of thumb).</summary>
internal static partial class MariaDbConfigTemplate
{
    /// <summary>Settings the guest depends on to find and control its server; an override would cut it off.</summary>
    private static readonly HashSet<string> ProtectedKeys = new(StringComparer.Ordinal)
    {
        "datadir", "socket", "pid_file", "port", "bind_address", "log_error", "slow_query_log_file", "general_log_file", "user", "basedir", "plugin_dir",
        "init_file", "secure_file_priv", "skip_grant_tables", "skip_networking", "tmpdir", "log_bin", "log_bin_index", "log_basename",
        "relay_log", "log_slave_updates", "gtid_strict_mode", "read_only", "rpl_semi_sync_slave_enabled",
        "rpl_semi_sync_master_enabled", "rpl_semi_sync_master_wait_no_slave", "rpl_semi_sync_master_timeout", "rpl_semi_sync_master_wait_point",
    };

    /// <summary>
    /// Hoard's own setting, not the server's (kept out of <c>my.cnf</c>): the longest time, in seconds, before a binary log
    /// with a transaction in it is closed and archived; how old the end of the recovery window may get.
    /// </summary>
    public const string ArchiveTimeoutKey = "binlog_archive_timeout";

    public const int DefaultArchiveTimeoutSeconds = 60;

    public static string Render(
        GuestConfig config, int memoryMb, IReadOnlyDictionary<string, string>? overrides, bool binaryLog = false,
        MariaDbReplicationRole replication = MariaDbReplicationRole.None)
    {
        var builder = new StringBuilder("# Written by the Hoard guest agent; changes are overwritten.\n[mysqld]\n");
        foreach (var (key, value) in Settings(config, memoryMb, overrides, binaryLog, replication).Where(s => s.Key != ArchiveTimeoutKey))
            builder.Append(key).Append(value is null ? "\n" : $" = {value}\n");
        return builder.ToString();
    }

    /// <summary>
    /// The <c>[mysqld]</c> settings in order, with overrides applied last. A null value is a bare flag. With
    /// <paramref name="binaryLog"/> (the instance archives it for point-in-time recovery) the binary log is on, in rows.
    /// A member of a replication set (<paramref name="replication"/>) always has it, and logs what it replicates with
    /// strict GTIDs (a replica may be promoted and serve the others); a replica or a demoted source starts read-only.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string?>> Settings(
        GuestConfig config, int memoryMb, IReadOnlyDictionary<string, string>? overrides, bool binaryLog = false,
        MariaDbReplicationRole replication = MariaDbReplicationRole.None)
    {
        if (memoryMb <= 0)
            throw new HandlerException(GuestErrorCodes.BadRequest, $"Flavor memory {memoryMb} MB is invalid.");
        var paths = MariaDbPaths.For(config.Paths);
        var settings = new List<KeyValuePair<string, string?>>
        {
            new("datadir", paths.DataDirectory),
            new("socket", paths.Socket),
            new("pid_file", paths.PidFile),
            new("log_error", paths.ErrorLog),
            new("slow_query_log_file", paths.SlowQueryLog),
            new("general_log_file", paths.GeneralLog),
            new("secure_file_priv", paths.SecureFiles),
            // Private temporary files: servers sharing /tmp collide on their temporary tables (seen with install-db).
            new("tmpdir", paths.TempFiles),
            new("port", config.Port.ToString()),
            new("bind_address", config.Address),
            new("server_id", ServerId(config.InstanceId).ToString()),
            new("skip_name_resolve", null),
            new("symbolic_links", "0"),
            new("local_infile", "0"),
            new("character_set_server", "utf8mb4"),
            new("collation_server", "utf8mb4_general_ci"),
            new("innodb_buffer_pool_size", Megabytes(BufferPoolMb(memoryMb))),
            new("innodb_log_file_size", Megabytes(LogFileMb(memoryMb))),
            new("innodb_log_buffer_size", Megabytes(memoryMb < 1024 ? 4 : 16)),
            new("max_connections", Math.Clamp(memoryMb / 12, 50, 1000).ToString()),
            new("key_buffer_size", Megabytes(memoryMb < 1024 ? 1 : 16)),
            new("tmp_table_size", Megabytes(Math.Clamp(memoryMb / 32, 16, 256))),
            new("max_heap_table_size", Megabytes(Math.Clamp(memoryMb / 32, 16, 256))),
            new("performance_schema", memoryMb < 2048 ? "OFF" : "ON"),
        };
        if (binaryLog || replication != MariaDbReplicationRole.None)
        {
            settings.AddRange(
            [
                new("log_bin", BinaryLogBase(paths)),
                new("binlog_format", "ROW"),
                // Small files are archived whole soon after they fill; a replay fetches only the ones it needs.
                new("max_binlog_size", Megabytes(32)),
                new("sync_binlog", "1"),
            ]);
        }

        if (replication != MariaDbReplicationRole.None)
        {
            settings.AddRange(
            [
                // Named after the data directory, not the host name, so a moved instance finds its relay log again.
                new("relay_log", Path.Combine(paths.DataDirectory, "relay-bin")),
                new("log_slave_updates", "ON"),
                new("gtid_strict_mode", "ON"),
                // Replicas that fell behind read from here (archiving no longer purges); a week, then they are rebuilt.
                new("binlog_expire_logs_seconds", (7 * 24 * 3600).ToString(System.Globalization.CultureInfo.InvariantCulture)),
                // A restarted replica refuses customer writes from its first connection on, before the guest is back.
                new("read_only", replication is MariaDbReplicationRole.Source or MariaDbReplicationRole.SynchronousSource ? "OFF" : "ON"),
                // Only the source of a synchronous set waits for acknowledgements; it then waits even with no replica connected.
                .. MariaDbReplication.SourceSettings(replication == MariaDbReplicationRole.SynchronousSource),
                new("rpl_semi_sync_slave_enabled", replication == MariaDbReplicationRole.SemiSyncReplica ? "ON" : "OFF"),
            ]);
        }

        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            ValidateOverride(key, value);
            var index = settings.FindIndex(setting => setting.Key == key);
            if (index >= 0)
                settings[index] = new(key, value);
            else
                settings.Add(new(key, value));
        }

        return settings;
    }

    /// <summary>About half the memory from 1 GB up; a quarter below, never under 16 MB.</summary>
    public static int BufferPoolMb(int memoryMb) => memoryMb >= 1024 ? memoryMb / 2 : Math.Max(16, memoryMb / 4);

    public static int LogFileMb(int memoryMb) => memoryMb switch
    {
        <= 1024 => 48,
        <= 4096 => 128,
        _ => 256,
    };

    /// <summary>A stable server id in 1..2^31-1 derived from the instance id (replication needs distinct ids).</summary>
    public static uint ServerId(string instanceId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(instanceId));
        return BinaryPrimitives.ReadUInt32BigEndian(hash) % int.MaxValue + 1;
    }

    /// <summary>Where the binary log files go: <c>binlog.000001</c> … in the data directory.</summary>
    public static string BinaryLogBase(MariaDbPaths paths) => Path.Combine(paths.DataDirectory, "binlog");

    /// <summary>The archive timeout among <paramref name="overrides"/>, or the default.</summary>
    public static TimeSpan ArchiveTimeout(IReadOnlyDictionary<string, string>? overrides) =>
        TimeSpan.FromSeconds(overrides?.GetValueOrDefault(ArchiveTimeoutKey) is { } text
                             && int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds is >= 1 and <= 86400
            ? seconds
            : DefaultArchiveTimeoutSeconds);

    private static void ValidateOverride(string key, string value)
    {
        if (!OverrideKeyPattern().IsMatch(key))
            throw new HandlerException(GuestErrorCodes.BadRequest, $"Configuration key '{key}' is invalid: use lower-case letters, digits and '_'.");
        if (ProtectedKeys.Contains(key))
            throw new HandlerException(GuestErrorCodes.BadRequest, $"Configuration key '{key}' is managed by the guest and cannot be overridden.");
        if (value is null || value.Any(char.IsControl))
            throw new HandlerException(GuestErrorCodes.BadRequest, $"The value of configuration key '{key}' must be one line of text.");
    }

    private static string Megabytes(int value) => $"{value}M";

    [GeneratedRegex("^[a-z_][a-z0-9_]*$")]
    private static partial Regex OverrideKeyPattern();
}
