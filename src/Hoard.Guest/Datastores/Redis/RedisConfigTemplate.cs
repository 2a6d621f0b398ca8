using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;

namespace Hoard.Guest.Datastores.Redis;

/// <summary>
/// Renders the instance's <c>redis.conf</c>, tuned to the flavor's memory.
/// <para>
/// Eviction: <c>maxmemory-policy noeviction</c>. Persistence is on by default, so customers treat the instance
/// as a datastore, and silently dropping their keys when memory runs out would be data loss; with noeviction
/// writes fail with Redis's <c>OOM</c> error instead and reads keep working. A cache can switch to
/// <c>allkeys-lru</c> through a configuration group.
/// </para>
/// <para>
/// maxmemory is 75 % of the flavor's RAM: the rest covers the server's own overhead, client buffers and the
/// copy-on-write pages of the RDB and AOF-rewrite forks.
/// </para>
/// </summary>
internal static partial class RedisConfigTemplate
{
    public const string EvictionPolicy = "noeviction";

    /// <summary>Settings the guest depends on to find, secure and control its server; an override would cut it off.</summary>
    private static readonly HashSet<string> ProtectedKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "bind", "port", "dir", "unixsocket", "unixsocketperm", "aclfile", "logfile", "pidfile", "daemonize", "supervised",
        "protected-mode", "requirepass", "user", "include", "loadmodule", "rename-command", "enable-debug-command",
        "enable-module-command", "enable-protected-configs", "proc-title-template", "set-proc-title", "dbfilename",
        "appenddirname", "masterauth", "masteruser", "replicaof", "slaveof", "tls-port", "bind-source-addr",
        "replica-read-only", "slave-read-only",
    };

    public static string Render(GuestConfig config, int memoryMb, IReadOnlyDictionary<string, string>? overrides)
    {
        var builder = new StringBuilder("# Written by the Hoard guest agent; changes are overwritten.\n");
        foreach (var (key, value) in Settings(config, memoryMb, overrides))
            builder.Append(key).Append(' ').Append(value).Append('\n');
        return builder.ToString();
    }

    /// <summary>The settings in order, with overrides applied last.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Settings(
        GuestConfig config, int memoryMb, IReadOnlyDictionary<string, string>? overrides)
    {
        if (memoryMb <= 0)
            throw new HandlerException(GuestErrorCodes.BadRequest, $"Flavor memory {memoryMb} MB is invalid.");
        var paths = RedisPaths.For(config.Paths);
        var settings = new List<KeyValuePair<string, string>>
        {
            new("daemonize", "no"),
            new("supervised", "no"),
            new("bind", config.Address),
            new("port", config.Port.ToString(CultureInfo.InvariantCulture)),
            new("protected-mode", "yes"),
            new("unixsocket", paths.Socket),
            new("unixsocketperm", "700"),
            new("pidfile", paths.PidFile),
            new("logfile", paths.ServerLog),
            new("dir", paths.DataDirectory),
            new("aclfile", paths.AclFile),
            // The config path in the process title lets a new guest recognise a server an earlier one left running.
            new("proc-title-template", $"\"{{title}} {{listen-addr}} {{config-file}}\""),
            new("enable-debug-command", "no"),
            new("enable-module-command", "no"),
            new("enable-protected-configs", "no"),
            new("maxmemory", $"{MaxMemoryMb(memoryMb)}mb"),
            new("maxmemory-policy", EvictionPolicy),
            new("save", "900 1 300 10 60 10000"),
            new("appendonly", "yes"),
            new("appendfsync", "everysec"),
            new("tcp-keepalive", "300"),
            new("always-show-logo", "no"),
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

    /// <summary>Three quarters of the flavor's memory, never under 16 MB.</summary>
    public static int MaxMemoryMb(int memoryMb) => Math.Max(16, memoryMb * 3 / 4);

    private static void ValidateOverride(string key, string value)
    {
        if (!OverrideKeyPattern().IsMatch(key))
            throw new HandlerException(GuestErrorCodes.BadRequest, $"Configuration key '{key}' is invalid: use lower-case letters, digits and '-'.");
        if (ProtectedKeys.Contains(key))
            throw new HandlerException(GuestErrorCodes.BadRequest, $"Configuration key '{key}' is managed by the guest and cannot be overridden.");
        if (value is null || !OverrideValuePattern().IsMatch(value))
            throw new HandlerException(GuestErrorCodes.BadRequest,
                $"The value of configuration key '{key}' must be one line of words without quotes or backslashes.");
    }

    [GeneratedRegex("^[a-z][a-z0-9-]*$")]
    private static partial Regex OverrideKeyPattern();

    [GeneratedRegex(@"^[^\s""'\\\p{C}]+( [^\s""'\\\p{C}]+)*$")]
    private static partial Regex OverrideValuePattern();
}
