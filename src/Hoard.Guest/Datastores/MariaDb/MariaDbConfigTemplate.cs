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
        "datadir", "socket", "pid_file", "port", "bind_address", "log_error", "user", "basedir", "plugin_dir",
        "init_file", "secure_file_priv", "skip_grant_tables", "skip_networking", "tmpdir",
    };

    public static string Render(GuestConfig config, int memoryMb, IReadOnlyDictionary<string, string>? overrides)
    {
        var builder = new StringBuilder("# Written by the Hoard guest agent; changes are overwritten.\n[mysqld]\n");
        foreach (var (key, value) in Settings(config, memoryMb, overrides))
            builder.Append(key).Append(value is null ? "\n" : $" = {value}\n");
        return builder.ToString();
    }

    /// <summary>The <c>[mysqld]</c> settings in order, with overrides applied last. A null value is a bare flag.</summary>
    public static IReadOnlyList<KeyValuePair<string, string?>> Settings(
        GuestConfig config, int memoryMb, IReadOnlyDictionary<string, string>? overrides)
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
