using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;

namespace Hoard.Guest.Datastores.Redis;

/// <summary>
/// Redis replication as the guest runs it: the source's <c>os_repl</c> account, the replication settings rendered
/// into <c>redis.conf</c> from <c>replication.json</c> (so the supervisor's restarts and a new guest keep the role),
/// and the role changes as Redis commands. Positions are replication offsets (<c>master_repl_offset</c>), which
/// PSYNC2 keeps continuous across a promotion, so they compare across the set.
/// <para>
/// The replica's <c>masterauth</c> is never in <c>redis.conf</c> (readable by all): it is in its own 0600 file the
/// configuration includes.
/// </para>
/// </summary>
internal sealed partial class RedisReplication(GuestConfig config, RedisOptions options, RedisServer server)
{
    private const string BlockMarker = "# Replication: rendered by the guest from replication.json.";

    private RedisPaths Paths => server.Paths;

    public ReplicationState? LoadState() => ReplicationState.Load(config.Paths);

    /// <summary>Writes the role, its secret include and the configuration file, in the order a crash between them is harmless in.</summary>
    public void SaveState(ReplicationState state)
    {
        if (state.Source is { } source)
            server.WriteSecretFile(Paths.MasterAuthFile, $"masterauth {source.Password}\n");
        state.Save(config.Paths);
        server.WriteConfig(WithReplication(File.ReadAllText(Paths.ConfigFile), state));
        if (state.Source is null)
            File.Delete(Paths.MasterAuthFile);
    }

    /// <summary>Forgets any role (a new prepare starts a standalone instance, or a replica that sets its own).</summary>
    public void ClearState()
    {
        File.Delete(ReplicationState.PathIn(config.Paths));
        File.Delete(Paths.MasterAuthFile);
    }

    /// <summary><paramref name="redisConf"/> with its replication block replaced by the one of the persisted role.</summary>
    public string WithReplication(string redisConf) => WithReplication(redisConf, LoadState());

    /// <summary>Checks a source's context before anything changes; answers its ACL users.</summary>
    public List<(string Name, List<string> Rules)> Validate(ReplicaContext source)
    {
        if (source.SourceId == config.InstanceId)
            throw BadRequest("An instance cannot replicate from itself.");
        if (string.IsNullOrWhiteSpace(source.Host) || source.Host.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '\\'))
            throw BadRequest("The source's host is invalid.");
        if (source.Port is < 1 or > 65535)
            throw BadRequest($"The source's port {source.Port} is invalid.");
        RedisAcl.ValidateUserName(source.User);
        // It is written into a configuration file: only characters that need no quoting there.
        RedisAcl.ValidatePassword(source.Password);
        if (source.Password.Any(c => c is '"' or '\'' or '\\'))
            throw BadRequest("The source's replication password holds quotes or backslashes.");
        return RedisAclCopy.Parse(source.Data?.GetValueOrDefault("acl"));
    }

    /// <summary>
    /// Creates <c>os_repl</c> once (its password generated once, kept 0600, its hash in the ACL file), and the
    /// settings a source wants live. An existing account is not redefined: that could disconnect its replicas.
    /// </summary>
    public ReplicaContext ContextFor(RedisConnection connection)
    {
        var hadPassword = File.Exists(Paths.ReplicationPassword);
        if (!hadPassword)
            SecretFile.WriteLine(Paths.ReplicationPassword, Secrets.GeneratePassword());
        var password = SecretFile.ReadLine(Paths.ReplicationPassword);
        if (!hadPassword || !RedisUsers.Exists(connection, RedisAcl.ReplicationUser))
        {
            connection.Execute(["ACL", "SETUSER", RedisAcl.ReplicationUser, "reset", "on", RedisAcl.PasswordHash(password), .. RedisAcl.ReplicationRules()]);
            RedisUsers.Save(connection);
        }

        if (LoadState() is null)
            SaveState(ReplicationState.AsSource());
        ApplySourceSettings(connection);
        return new ReplicaContext(config.InstanceId, config.Address, config.Port, RedisAcl.ReplicationUser, password,
            new Dictionary<string, string>(StringComparer.Ordinal) { ["acl"] = RedisAclCopy.Read(connection) });
    }

    /// <summary>Follow <paramref name="source"/> now: the file already says so (<see cref="SaveState"/>); this tells the running server.</summary>
    public void Follow(RedisConnection connection, ReplicaContext source, IReadOnlyList<(string Name, List<string> Rules)> users)
    {
        connection.Execute("CONFIG", "SET", "masteruser", source.User);
        connection.Execute("CONFIG", "SET", "masterauth", source.Password);
        connection.Execute("CONFIG", "SET", "replica-read-only", "yes");
        RedisAclCopy.Apply(connection, users);
        connection.Execute("REPLICAOF", source.Host, source.Port.ToString(CultureInfo.InvariantCulture));
        // Only now that it no longer sends pings of its own (a demoted source's are held) may their period return.
        ApplySourceSettings(connection);
        connection.Execute("CLIENT", "UNPAUSE");
    }

    /// <summary>Stop following and take writes; the file already says so.</summary>
    public static void Lead(RedisConnection connection)
    {
        ApplySourceSettings(connection);
        connection.Execute("REPLICAOF", "NO", "ONE");
        connection.Execute("CLIENT", "UNPAUSE");
    }

    /// <summary>
    /// Clients' writes wait (reads go on), and so do expiries and evictions. Redis 7.0 still sends its replicas a PING
    /// every <c>repl-ping-replica-period</c> seconds, which moves the offset: a PING the promoted replica missed would
    /// put this instance ahead of it and cost a full resync when it attaches. So the pings stop too (until promote or
    /// attach), and the offset stands still.
    /// </summary>
    public void HoldWrites(RedisConnection connection)
    {
        connection.Execute("CONFIG", "SET", "repl-ping-replica-period", int.MaxValue.ToString(CultureInfo.InvariantCulture));
        connection.Execute("CLIENT", "PAUSE", ((long)options.DemotePause.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), "WRITE");
    }

    /// <summary>One <c>INFO replication</c>: the role Redis plays, its offset, and a replica's link.</summary>
    public ReplicationReport Report(RedisConnection connection, ReplicationState state)
    {
        var info = Info(connection);
        var offset = long.Parse(info["master_repl_offset"], CultureInfo.InvariantCulture);
        var positionText = $"{info.GetValueOrDefault("master_replid", "?")}:{offset}";
        if (info["role"] != "slave")
            return new ReplicationReport(ReplicationRoles.Source, offset, positionText, ReadOnly: state.Demoted);

        var streaming = info.GetValueOrDefault("master_link_status") == "up";
        var lag = streaming ? Seconds(info, "master_last_io_seconds_ago") : Seconds(info, "master_link_down_since_seconds");
        var sourceHost = $"{info.GetValueOrDefault("master_host")}:{info.GetValueOrDefault("master_port")}";
        return new ReplicationReport(ReplicationRoles.Replica, offset, positionText, streaming, lag, sourceHost,
            streaming ? null : LinkError(info, sourceHost), ReadOnly: true);
    }

    /// <summary>Waits until a new replica's first sync is done, or fails saying what Redis said about its link.</summary>
    public async Task WaitUntilStreamingAsync(Func<RedisConnection> open, string sourceHost, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var why = "";
        while (watch.Elapsed < options.ReplicaSyncTimeout)
        {
            try
            {
                using var connection = open();
                var info = Info(connection);
                if (info.GetValueOrDefault("master_link_status") == "up")
                    return;
                why = LinkError(info, sourceHost);
            }
            catch (RedisException e) when (e.ErrorCode == "LOADING")
            {
                why = "it is loading the source's snapshot";
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        }

        throw new HandlerException(GuestErrorCodes.Internal,
            $"The replica did not finish its first sync from {sourceHost} within {options.ReplicaSyncTimeout.TotalSeconds:0} s: {why}");
    }

    private static Dictionary<string, string> Info(RedisConnection connection)
    {
        var info = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in connection.Execute("INFO", "replication").AsString().Split('\n', StringSplitOptions.TrimEntries))
        {
            var colon = line.IndexOf(':');
            if (colon > 0 && !line.StartsWith('#'))
                info[line[..colon]] = line[(colon + 1)..];
        }

        return info;
    }

    private static double? Seconds(Dictionary<string, string> info, string key) =>
        info.TryGetValue(key, out var text) && long.TryParse(text, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0 ? seconds : null;

    /// <summary>
    /// Redis reports a broken link only in its log: the last line there about the source (a refused password, a
    /// refused connection) says why, in Redis's words.
    /// </summary>
    private string LinkError(Dictionary<string, string> info, string sourceHost)
    {
        if (info.GetValueOrDefault("master_sync_in_progress") == "1")
            return $"the first sync from {sourceHost} is in progress ({info.GetValueOrDefault("master_sync_left_bytes", "?")} bytes left)";
        var reason = LastLogComplaint();
        return reason is null ? $"the link to {sourceHost} is down" : $"the link to {sourceHost} is down: {reason}";
    }

    private string? LastLogComplaint()
    {
        try
        {
            using var log = new FileStream(Paths.ServerLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            log.Seek(Math.Max(0, log.Length - 8192), SeekOrigin.Begin);
            var tail = new StreamReader(log, Encoding.UTF8).ReadToEnd();
            var line = tail.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .LastOrDefault(l => (l.Contains("MASTER", StringComparison.Ordinal) || l.Contains("PRIMARY", StringComparison.Ordinal))
                    && (l.Contains("rror", StringComparison.Ordinal) || l.Contains("Unable", StringComparison.Ordinal)
                        || l.Contains("fail", StringComparison.OrdinalIgnoreCase) || l.Contains("timeout", StringComparison.OrdinalIgnoreCase)
                        || l.Contains("refused", StringComparison.Ordinal) || l.Contains("aborted", StringComparison.Ordinal)));
            if (line is null)
                return null;
            var match = LogLinePattern().Match(line);
            return match.Success ? match.Groups[1].Value : line;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Every member may become a source: a full sync starts at once rather than after Redis's 5 s wait.</summary>
    private static void ApplySourceSettings(RedisConnection connection)
    {
        connection.Execute("CONFIG", "SET", "repl-diskless-sync-delay", "0");
        connection.Execute("CONFIG", "SET", "repl-ping-replica-period", "1");
    }

    private string WithReplication(string redisConf, ReplicationState? state)
    {
        var marker = redisConf.IndexOf(BlockMarker, StringComparison.Ordinal);
        var builder = new StringBuilder(marker >= 0 ? redisConf[..marker] : redisConf);
        if (state is null)
            return builder.ToString();
        builder.Append(BlockMarker).Append('\n');
        builder.Append("repl-diskless-sync-delay 0\n");
        // The replica's master_last_io_seconds_ago, reported as its lag, is then at most a second on an idle link.
        builder.Append("repl-ping-replica-period 1\n");
        if (state.Source is { } source)
        {
            builder.Append($"replicaof {source.Host} {source.Port.ToString(CultureInfo.InvariantCulture)}\n");
            builder.Append($"masteruser {source.User}\n");
            builder.Append("replica-read-only yes\n");
            builder.Append($"include {Paths.MasterAuthFile}\n");
        }

        return builder.ToString();
    }

    private static HandlerException BadRequest(string message) => new(GuestErrorCodes.BadRequest, message);

    /// <summary>"1234:S 01 Dec 2026 01:02:03.456 # Error condition ..." → the message.</summary>
    [GeneratedRegex(@"^\d+:[A-Z] \d+ \w+ \d+ [\d:.]+ [.*#-] (.*)$")]
    private static partial Regex LogLinePattern();
}
