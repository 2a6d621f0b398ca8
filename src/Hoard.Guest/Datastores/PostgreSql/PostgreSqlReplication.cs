using System.Diagnostics;
using System.Globalization;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Npgsql;
using NpgsqlTypes;

namespace Hoard.Guest.Datastores.PostgreSql;

/// <summary>
/// Streaming replication, one physical slot per replica on the source. The source's <c>os_repl</c> role (password
/// generated once, kept in <c>etc/replication.pg</c>) streams over TCP; a replica reads that password from a passfile
/// (mode 0600, the service user's) named in its <c>primary_conninfo</c>, never from its command line, environment or
/// configuration. The standby settings live in postgresql.auto.conf, where nothing of the guest's configuration lives.
/// </summary>
internal sealed class PostgreSqlReplication(GuestConfig config, PostgreSqlOptions options, PostgreSqlServer server)
{
    public const string User = PostgreSqlConfigTemplate.ReplicationUser;
    public const string SlotKey = "slot";

    /// <summary>In a context: "true" when the set is synchronous (the replica's standby acknowledges every flush anyway).</summary>
    public const string SyncKey = "sync";

    /// <summary>The source's <c>max_connections</c>: a hot standby refuses to start with fewer.</summary>
    public const string MaxConnectionsKey = "max_connections";

    /// <summary>Words of the WAL receiver's errors (a client's failed login is in the same log).</summary>
    private static readonly string[] StreamingWords = ["WAL", "primary", "replication", "timeline"];

    private static readonly string[] StandbyKeys = ["primary_conninfo", "primary_slot_name", "recovery_target_timeline"];

    private static readonly string[] SynchronousKeys = ["synchronous_standby_names", "synchronous_commit"];

    private string PasswordFile => Path.Combine(config.Paths.Etc, "replication.pg");

    private string PassFile => Path.Combine(config.Paths.Etc, "replication.pgpass");

    private string StandbySignal => Path.Combine(server.Paths.DataDirectory, "standby.signal");

    /// <summary>The slot a source keeps for a replica, and the replica's application_name: <c>hoard_</c> and its id without dashes.</summary>
    public static string SlotName(string instanceId)
    {
        var name = "hoard_" + instanceId.Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
        if (name.Length > PostgreSqlNames.MaxIdentifierBytes || name.Any(c => c is not (>= 'a' and <= 'z' or >= '0' and <= '9' or '_')))
            throw new HandlerException(GuestErrorCodes.BadRequest, "The replica id cannot name a replication slot.");
        return name;
    }

    /// <summary>
    /// Makes a writable instance a source able to serve <paramref name="replicaId"/>: the replication role, the replica's
    /// slot (reserving WAL from now on, so the copy the replica takes next finds all of it), the bound on the WAL slots may
    /// keep, the set's mode (see <see cref="SetSynchronousAsync"/>) and the access rules of a replication member. Idempotent.
    /// </summary>
    public async Task<ReplicaContext> PrepareSourceAsync(PostgreSqlAdmin admin, string replicaId, bool synchronous)
    {
        if (replicaId == config.InstanceId)
            throw new HandlerException(GuestErrorCodes.BadRequest, "An instance cannot be its own replica.");
        var slot = SlotName(replicaId);
        if (await IsInRecoveryAsync(admin))
            throw new HandlerException(GuestErrorCodes.BadRequest, "This instance is read-only (a replica or a demoted source): promote it before it serves replicas.");

        if (!File.Exists(PasswordFile))
            SecretFile.WriteLine(PasswordFile, Secrets.GeneratePassword());
        var password = SecretFile.ReadLine(PasswordFile);
        var attributes = $"WITH REPLICATION LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {PostgreSqlNames.QuoteLiteral(password)}";
        // Always set: a promoted replica holds its old source's role, with that source's password. Committed without
        // waiting for a replica: in a synchronous set whose only replica is gone, the context that rebuilds it must not hang.
        await admin.ExecuteAsync("DO $$BEGIN PERFORM set_config('synchronous_commit', 'local', true); " +
                                 $"IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{User}') THEN ALTER ROLE {User} {attributes}; " +
                                 $"ELSE CREATE ROLE {User} {attributes}; END IF; END$$");
        await admin.ExecuteAsync("SELECT pg_create_physical_replication_slot($1::name, true) WHERE NOT EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = $1::name)", slot);

        var changed = await AlterSystemAsync(admin, "max_slot_wal_keep_size", $"{SlotWalKeepMb()}MB");
        changed |= await SetSynchronousAsync(admin, synchronous);
        if (ReplicationState.Load(config.Paths) is not { Role: ReplicationRoles.Source, Demoted: false } state || state.Synchronous != synchronous)
            new ReplicationState(ReplicationRoles.Source, Synchronous: synchronous).Save(config.Paths);
        changed |= server.WriteAccessRules();
        if (changed)
            await PostgreSqlConfiguration.ReloadAsync(server, admin, options.ReloadTimeout);

        var maxConnections = (await admin.QueryAsync("SHOW max_connections"))[0][0]!;
        var data = new Dictionary<string, string>(StringComparer.Ordinal) { [SlotKey] = slot, [MaxConnectionsKey] = maxConnections };
        if (synchronous)
            data[SyncKey] = "true";
        return new ReplicaContext(config.InstanceId, config.Address, config.Port, User, password, data);
    }

    /// <summary>
    /// A synchronous source: <c>synchronous_standby_names = 'ANY 1 (…)'</c> over every replica slot it keeps (each
    /// replica's application_name is its slot's name) and <c>synchronous_commit = on</c>, so a commit returns once one
    /// replica flushed it (<c>remote_apply</c> when the configuration group asks for that), and waits while none is
    /// connected. Asynchronous: both removed from postgresql.auto.conf. A synchronous source keeping no slot at all (its
    /// last replica was forgotten) has no replica to wait for and commits at once. Does not reload; true when a setting
    /// changed.
    /// </summary>
    public async Task<bool> SetSynchronousAsync(PostgreSqlAdmin admin, bool synchronous)
    {
        var slots = synchronous
            ? (await admin.QueryAsync(@"SELECT slot_name FROM pg_replication_slots WHERE slot_type = 'physical' AND slot_name LIKE 'hoard\_%' ORDER BY slot_name"))
                .Select(row => PostgreSqlNames.QuoteIdentifier(row[0]!)).ToList()
            : [];
        var names = slots.Count > 0 ? $"ANY 1 ({string.Join(", ", slots)})" : null;
        var changed = await AlterSystemAsync(admin, "synchronous_standby_names", names);
        // A configuration group's off, local or remote_write would let commits return before a replica flushed them;
        // its remote_apply (a replica has also replayed them) is stronger and kept.
        var configured = await admin.QueryAsync(
            "SELECT setting FROM pg_file_settings WHERE name = 'synchronous_commit' AND sourcefile NOT LIKE '%postgresql.auto.conf' ORDER BY seqno DESC LIMIT 1");
        var commit = configured is [[var c]] && string.Equals(c, "remote_apply", StringComparison.OrdinalIgnoreCase) ? "remote_apply" : "on";
        changed |= await AlterSystemAsync(admin, "synchronous_commit", names is null ? null : commit);
        return changed;
    }

    /// <summary>Re-applies a synchronous source's mode after one of its slots went or its configuration changed.</summary>
    public async Task KeepSynchronousCurrentAsync(PostgreSqlAdmin admin)
    {
        if (ReplicationState.Load(config.Paths) is { Role: ReplicationRoles.Source, Demoted: false, Synchronous: true } && await SetSynchronousAsync(admin, true))
            await PostgreSqlConfiguration.ReloadAsync(server, admin, options.ReloadTimeout);
    }

    /// <summary>ALTER SYSTEM SET (or, with null, RESET) unless postgresql.auto.conf already says so; true when it changed.</summary>
    private static async Task<bool> AlterSystemAsync(PostgreSqlAdmin admin, string name, string? value)
    {
        var current = await admin.QueryAsync("SELECT setting FROM pg_file_settings WHERE name = $1 AND sourcefile LIKE '%postgresql.auto.conf'", name);
        if (current is [[var set]] ? set == value : value is null)
            return false;
        await admin.ExecuteAsync(value is null ? $"ALTER SYSTEM RESET {name}" : $"ALTER SYSTEM SET {name} = {PostgreSqlNames.QuoteLiteral(value)}");
        return true;
    }

    /// <summary>
    /// Drops the replica's slot, ending the walsender that holds it first, and takes it out of a synchronous source's
    /// standby names. A missing slot is fine.
    /// </summary>
    public async Task DropSlotAsync(PostgreSqlAdmin admin, string replicaId)
    {
        await DropAsync(admin, SlotName(replicaId));
        await KeepSynchronousCurrentAsync(admin);
    }

    /// <summary>Drops every slot the guest made (<c>hoard_</c>…): the instance serves no replicas any more.</summary>
    public async Task DropAllSlotsAsync(PostgreSqlAdmin admin)
    {
        foreach (var row in await admin.QueryAsync(@"SELECT slot_name FROM pg_replication_slots WHERE slot_type = 'physical' AND slot_name LIKE 'hoard\_%'"))
            await DropAsync(admin, row[0]!);
    }

    private async Task DropAsync(PostgreSqlAdmin admin, string slot)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var rows = await admin.QueryAsync("SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1::name", slot);
            if (rows.Count == 0)
                return;
            if (rows[0][0] is { } pid)
                await admin.ExecuteAsync("SELECT pg_terminate_backend($1::int)", int.Parse(pid, CultureInfo.InvariantCulture));
            try
            {
                await admin.ExecuteAsync("SELECT pg_drop_replication_slot($1::name)", slot);
                return;
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.ObjectInUse or PostgresErrorCodes.UndefinedObject && watch.Elapsed < options.QueryTimeout)
            {
                // The walsender had not exited yet, or the slot went meanwhile: look again.
                await Task.Delay(50, admin.CancellationToken);
            }
        }
    }

    /// <summary>
    /// Fills the new, empty <paramref name="dataDirectory"/> with a copy of the source, streaming the WAL written
    /// meanwhile through the replica's slot; runs as the service user, the password in the passfile.
    /// </summary>
    public async Task CopySourceAsync(ReplicaContext source, string dataDirectory, CancellationToken cancellationToken)
    {
        var slot = Slot(source);
        WritePassFile(source);
        var copy = new ProcessStartInfo(options.BaseBackupPath)
        {
            ArgumentList =
            {
                "--host", source.Host,
                "--port", source.Port.ToString(CultureInfo.InvariantCulture),
                "--username", source.User,
                "--no-password",
                "--pgdata", dataDirectory,
                "--format=plain",
                "--wal-method=stream",
                "--checkpoint=fast",
                "--slot", slot,
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        copy.Environment["PGPASSFILE"] = PassFile;
        copy.Environment["PGAPPNAME"] = "hoard-replica-copy";
        copy.Environment.Remove("PGPASSWORD");
        using var process = Process.Start(server.AsServiceUser(copy)) ?? throw new InvalidOperationException("pg_basebackup did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var output = await stdout + await stderr;
        if (process.ExitCode != 0)
            throw new HandlerException(GuestErrorCodes.Internal,
                $"Copying the source {source.SourceId} with pg_basebackup failed (exit code {process.ExitCode}): {ServerProcess.LastLines(output, 4)}");
    }

    /// <summary>
    /// Makes the next start (or reload, for a running standby) follow <paramref name="source"/> through its slot, on
    /// whatever timeline the source is on now, and records the role.
    /// </summary>
    public void WriteStandbyConfig(ReplicaContext source)
    {
        var slot = Slot(source);
        WritePassFile(source);
        var conninfo = string.Join(' ',
            Conninfo("host", source.Host), Conninfo("port", source.Port.ToString(CultureInfo.InvariantCulture)), Conninfo("user", source.User),
            Conninfo("passfile", PassFile), Conninfo("application_name", SlotName(config.InstanceId)));
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["primary_conninfo"] = ConfLiteral(conninfo),
            ["primary_slot_name"] = ConfLiteral(slot),
            ["recovery_target_timeline"] = "'latest'",
            // Promoted, this replica keeps WAL for replicas of its own; the same bound as its source's.
            ["max_slot_wal_keep_size"] = ConfLiteral($"{SlotWalKeepMb()}MB"),
            // Recent WAL kept beyond its restartpoints: promoted after a failover, its slower siblings resume from here.
            ["wal_keep_size"] = ConfLiteral($"{Math.Min(1024, SlotWalKeepMb() / 4)}MB"),
        };
        // Promoted, it commits asynchronously until the next get_replica_context says otherwise.
        foreach (var key in SynchronousKeys)
            settings[key] = null;
        if (source.Data.TryGetValue(MaxConnectionsKey, out var theirs) && int.TryParse(theirs, CultureInfo.InvariantCulture, out var sourceConnections))
            settings["max_connections"] = sourceConnections > OwnMaxConnections() ? sourceConnections.ToString(CultureInfo.InvariantCulture) : null;
        EditAutoConfig(settings);
        server.WriteDataFile(StandbySignal, "");
        ReplicationState.AsReplicaOf(source).Save(config.Paths);
    }

    /// <summary>A demoted source: read-only at its next start, following nobody until attached.</summary>
    /// <remarks>Its synchronous settings go too: promoted again, it must not wait for replicas that may follow someone else by then.</remarks>
    public void WriteDemotedConfig()
    {
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["primary_conninfo"] = null,
            ["primary_slot_name"] = null,
            ["recovery_target_timeline"] = "'latest'",
        };
        foreach (var key in SynchronousKeys)
            settings[key] = null;
        EditAutoConfig(settings);
        server.WriteDataFile(StandbySignal, "");
        new ReplicationState(ReplicationRoles.Source, Demoted: true).Save(config.Paths);
    }

    /// <summary>After a promotion: no standby settings left to confuse a reader (the server ignores them once primary).</summary>
    public void ClearStandbyConfig()
    {
        EditAutoConfig(StandbyKeys.ToDictionary(key => key, _ => (string?)null, StringComparer.Ordinal));
        File.Delete(PassFile);
        ReplicationState.AsSource().Save(config.Paths);
    }

    /// <summary>Undoes a replica prepare that failed: the instance is not a member of anything.</summary>
    public void Forget()
    {
        File.Delete(ReplicationState.PathIn(config.Paths));
        File.Delete(PassFile);
    }

    public static async Task<bool> IsInRecoveryAsync(PostgreSqlAdmin admin) =>
        (await admin.QueryAsync("SELECT pg_is_in_recovery()"))[0][0] == bool.TrueString;

    /// <summary>One query: the role's position, and for a standby its receiver, replay and lag.</summary>
    /// <param name="state">Null for a standalone instance (a promote of one), which reports no role.</param>
    public async Task<ReplicationReport> StatusAsync(PostgreSqlAdmin admin, ReplicationState? state)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT pg_is_in_recovery(),
                   CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END,
                   pg_last_wal_receive_lsn(),
                   (SELECT status FROM pg_stat_wal_receiver),
                   extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8
            """, admin.Connection);
        await using var reader = await command.ExecuteReaderAsync(admin.CancellationToken);
        await reader.ReadAsync(admin.CancellationToken);
        var inRecovery = reader.GetBoolean(0);
        var position = reader.IsDBNull(1) ? new NpgsqlLogSequenceNumber(0) : reader.GetFieldValue<NpgsqlLogSequenceNumber>(1);
        var received = reader.IsDBNull(2) ? (NpgsqlLogSequenceNumber?)null : reader.GetFieldValue<NpgsqlLogSequenceNumber>(2);
        var receiver = reader.IsDBNull(3) ? null : reader.GetString(3);
        double? sinceReplay = reader.IsDBNull(4) ? null : reader.GetDouble(4);
        var lsn = (long)(ulong)position;
        if (state?.Role != ReplicationRoles.Replica)
            return new ReplicationReport(state?.Role, lsn, position.ToString(), ReadOnly: inRecovery);

        var streaming = receiver == "streaming";
        // Caught up with all it received and still connected: nothing to wait for, however long ago the last commit was.
        double? lag = streaming && received is { } r && (ulong)r <= (ulong)position ? 0 : sinceReplay is { } s ? Math.Max(0, s) : null;
        return new ReplicationReport(ReplicationRoles.Replica, lsn, position.ToString(), streaming, lag,
            state.Source is { } source ? $"{source.Host}:{source.Port}" : null,
            streaming ? null : LastReplicationError() ?? $"not streaming from the source (receiver {receiver ?? "not running"})",
            inRecovery);
    }

    /// <summary>The last FATAL or ERROR line about streaming in the server log's tail (the WAL receiver's reason), without its prefix.</summary>
    private string? LastReplicationError()
    {
        try
        {
            using var stream = new FileStream(server.Paths.ServerLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            stream.Seek(Math.Max(0, stream.Length - 8192), SeekOrigin.Begin);
            var tail = new StreamReader(stream).ReadToEnd();
            var line = tail.Split('\n').LastOrDefault(l =>
                (l.Contains("FATAL:", StringComparison.Ordinal) || l.Contains("ERROR:", StringComparison.Ordinal)) &&
                StreamingWords.Any(word => l.Contains(word, StringComparison.OrdinalIgnoreCase)));
            if (line is null)
                return null;
            var at = line.IndexOf("FATAL:", StringComparison.Ordinal) is var fatal and >= 0 ? fatal : line.IndexOf("ERROR:", StringComparison.Ordinal);
            return line[at..].Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string Slot(ReplicaContext source) =>
        source.Data.TryGetValue(SlotKey, out var slot) && slot.Length > 0 && slot.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '_')
            ? slot
            : throw new HandlerException(GuestErrorCodes.BadRequest, "The replica context names no valid replication slot.");

    private void WritePassFile(ReplicaContext source) =>
        server.WriteDataFile(PassFile, $"*:*:*:{PassFileField(source.User)}:{PassFileField(source.Password)}\n");

    /// <summary>Sets (or, with null, removes) settings of postgresql.auto.conf, keeping the others.</summary>
    private void EditAutoConfig(IReadOnlyDictionary<string, string?> settings)
    {
        var path = server.Paths.AutoConfigFile;
        var lines = File.Exists(path) ? File.ReadAllLines(path).ToList() : ["# Do not edit this file manually!", "# It will be overwritten by the ALTER SYSTEM command."];
        lines.RemoveAll(line => settings.ContainsKey(line.Split('=', 2)[0].Trim()));
        lines.AddRange(settings.Where(s => s.Value is not null).Select(s => $"{s.Key} = {s.Value}"));
        server.WriteDataFile(path, string.Join('\n', lines) + "\n");
    }

    /// <summary>A quarter of the volume, at least 128 MB: a dead replica's slot must not fill the disk.</summary>
    private long SlotWalKeepMb()
    {
        var total = new DriveInfo(config.Paths.Data).TotalSize;
        return Math.Max(128, total / 4 / (1024 * 1024));
    }

    private int OwnMaxConnections() =>
        int.TryParse(PostgreSqlConfigTemplate.Unquote(File.ReadLines(server.Paths.ConfigFile)
            .Select(line => line.Split('=', 2))
            .LastOrDefault(parts => parts.Length == 2 && parts[0].Trim() == "max_connections")?[1].Trim() ?? "0"), CultureInfo.InvariantCulture, out var n) ? n : 0;

    private static string Conninfo(string key, string value) => $"{key}='{value.Replace(@"\", @"\\").Replace("'", @"\'")}'";

    private static string ConfLiteral(string value) => "'" + value.Replace("'", "''") + "'";

    private static string PassFileField(string value) => value.Replace(@"\", @"\\").Replace(":", @"\:");
}
