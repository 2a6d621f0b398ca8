using System.Diagnostics;
using System.Globalization;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;

namespace Hoard.Guest.Datastores.MariaDb;

/// <summary>
/// The SQL of MariaDB's GTID replication: the source's replication account, <c>CHANGE MASTER TO</c> on a replica, and
/// reading where each member is. Positions are GTID lists; members compare by the sequence number of domain 0, which
/// <c>gtid_strict_mode</c> keeps increasing across the whole set (a promoted replica continues its source's numbering).
/// </summary>
internal static class MariaDbReplication
{
    public const string User = "os_repl";

    /// <summary>The guest's and the replication threads' connections, which a demote leaves alone.</summary>
    private const string CustomerSessions = $"""
        SELECT ID FROM information_schema.PROCESSLIST
        WHERE ID <> CONNECTION_ID() AND USER NOT IN ('system user', 'event_scheduler', 'unauthenticated user', '{MariaDbAdminCredentials.AdminUser}', '{User}')
          AND COMMAND NOT IN ('Daemon', 'Binlog Dump', 'Slave_IO', 'Slave_SQL', 'Slave_worker')
        """;

    /// <summary>
    /// Creates <c>os_repl@'%'</c> with <paramref name="password"/>, or gives it that password, unless it already has it:
    /// an idempotent call writes nothing to the binary log.
    /// </summary>
    public static void EnsureAccount(MariaDbConnection connection, string password)
    {
        var literal = connection.Literal(password);
        var current = connection.Query($"SELECT authentication_string = PASSWORD({literal}) FROM mysql.user WHERE User = '{User}' AND Host = '%'");
        if (current.Count == 0)
            connection.Execute($"CREATE USER '{User}'@'%' IDENTIFIED BY {literal}");
        else if (current[0][0] != "1")
            connection.Execute($"ALTER USER '{User}'@'%' IDENTIFIED BY {literal}");
        var grants = string.Join("\n", connection.Query($"SHOW GRANTS FOR '{User}'@'%'").Select(row => row[0]));
        if (!grants.Contains("REPLICATION SLAVE", StringComparison.Ordinal))
            connection.Execute($"GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '{User}'@'%'");
    }

    /// <summary>
    /// Points the (stopped) replica at <paramref name="source"/> from <paramref name="gtid"/> (a snapshot's position, at
    /// the replica's prepare), or from everything this
    /// instance has (its binary log: with <c>log_slave_updates</c> it holds what it replicated as well as what it wrote
    /// as a source), and starts it. The guest's statements here stay out of the binary log.
    /// </summary>
    public static void Follow(MariaDbConnection connection, ReplicaContext source, string? gtid)
    {
        connection.Execute("SET SESSION sql_log_bin = 0");
        connection.Execute("SET GLOBAL read_only = ON");
        if (SlaveStatus(connection) is not null)
        {
            connection.Execute("STOP SLAVE");
            connection.Execute("RESET SLAVE ALL");
        }

        connection.Execute("SET GLOBAL gtid_strict_mode = ON");
        connection.Execute($"SET GLOBAL rpl_semi_sync_slave_enabled = {(IsSemiSync(source) ? "ON" : "OFF")}");
        // A replica serves no one: a former synchronous source must not make its applier wait for acknowledgements.
        ServeSemiSync(connection, synchronous: false);
        if (gtid is not null)
        {
            // A replica restored from a snapshot starts its own binary log at the snapshot's position: promoted later, it
            // can then serve replicas (its old source among them) that stand exactly there, before it has replicated
            // anything. Nothing of its own is lost: the guest's statements so far stayed out of the log.
            connection.Execute("RESET MASTER");
            connection.Execute($"SET GLOBAL gtid_binlog_state = {connection.Literal(gtid)}");
            connection.Execute($"SET GLOBAL gtid_slave_pos = {connection.Literal(gtid)}");
        }
        else
        {
            var row = connection.Query("SELECT @@GLOBAL.gtid_binlog_pos, @@GLOBAL.gtid_slave_pos")[0];
            if (row[0] is { Length: > 0 } binlog && DomainZero(binlog) >= DomainZero(row[1] ?? ""))
                connection.Execute($"SET GLOBAL gtid_slave_pos = {connection.Literal(binlog)}");
        }

        RequireSourceHas(source, connection.Query("SELECT @@GLOBAL.gtid_slave_pos")[0][0] ?? "");
        var changeMaster = $"CHANGE MASTER TO MASTER_HOST = {connection.Literal(source.Host)}, MASTER_PORT = {source.Port.ToString(CultureInfo.InvariantCulture)}, " +
            $"MASTER_USER = {connection.Literal(source.User)}, MASTER_PASSWORD = {connection.Literal(source.Password)}, " +
            "MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 2";
        try
        {
            connection.Execute(changeMaster);
        }
        catch (MariaDbException e)
        {
            // The server quotes a statement it cannot parse; this one holds the source's password.
            throw new HandlerException(GuestErrorCodes.BadRequest,
                $"MariaDB refused to follow {source.Host}:{source.Port}: {e.Message.Replace(source.Password, "***", StringComparison.Ordinal)}");
        }

        connection.Execute("START SLAVE");
    }

    /// <summary>
    /// Refuses to follow a source that lacks this instance's last transaction (in domain 0): the instance wrote it as a
    /// source after they parted, and following would diverge. The source's <c>gtid_binlog_state</c> holds, for each
    /// server, the last sequence number it logged from it; GTIDs only grow, so it has ours if it has that one or a later
    /// one from the same server. A source that cannot be reached is not checked here: replication then reports why.
    /// </summary>
    private static void RequireSourceHas(ReplicaContext source, string position)
    {
        var ours = position.Split(',', StringSplitOptions.TrimEntries).Select(g => g.Split('-')).FirstOrDefault(p => p.Length == 3 && p[0] == "0");
        if (ours is null)
            return;
        string state;
        try
        {
            using var remote = MariaDbConnection.OpenTcp(source.Host, source.Port, source.User, source.Password, TimeSpan.FromSeconds(10));
            state = remote.Query("SELECT @@GLOBAL.gtid_binlog_state")[0][0] ?? "";
        }
        catch (MariaDbException)
        {
            return;
        }

        var has = state.Split(',', StringSplitOptions.TrimEntries).Select(g => g.Split('-'))
            .Any(p => p.Length == 3 && p[0] == "0" && p[1] == ours[1] && long.Parse(p[2], CultureInfo.InvariantCulture) >= long.Parse(ours[2], CultureInfo.InvariantCulture));
        if (!has)
            throw new HandlerException(GuestErrorCodes.BadRequest,
                $"This instance holds transaction {string.Join('-', ours)}, which {source.Host}:{source.Port} does not have: following it would diverge.");
    }

    /// <summary>
    /// How long a commit of a synchronous source waits for an acknowledgement before MariaDB would give up and switch the
    /// source to asynchronous (<c>rpl_semi_sync_master_timeout</c>, counted from each commit): a year, in milliseconds,
    /// i.e. never in practice. The variable would take up to 2^64-1, but the server turns it into an absolute deadline
    /// for a condition wait; a year keeps that deadline an ordinary date. Only a KILL of the session ends the wait sooner.
    /// </summary>
    public const long NeverFallBackMs = 365L * 24 * 3600 * 1000;

    /// <summary>MariaDB's default <c>rpl_semi_sync_master_timeout</c>; unused while semi-synchronous serving is off.</summary>
    public const long DefaultTimeoutMs = 10_000;

    /// <summary>
    /// The source's side of semi-synchronous replication, for <c>my.cnf</c> and <see cref="ServeSemiSync"/> alike. A
    /// synchronous source (CloudNativePG's <c>dataDurability: required</c>): a commit returns only once a replica
    /// acknowledged it (after the binary log is synced, before the engine commits, so no other session sees it earlier),
    /// it waits with no replica connected, and it never falls back. An asynchronous source does not serve semi-sync at
    /// all, so no commit waits, even for a replica that still asks to acknowledge.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string?>> SourceSettings(bool synchronous) =>
    [
        new("rpl_semi_sync_master_enabled", synchronous ? "ON" : "OFF"),
        new("rpl_semi_sync_master_wait_no_slave", synchronous ? "ON" : "OFF"),
        new("rpl_semi_sync_master_timeout", (synchronous ? NeverFallBackMs : DefaultTimeoutMs).ToString(CultureInfo.InvariantCulture)),
        new("rpl_semi_sync_master_wait_point", "AFTER_SYNC"),
    ];

    /// <summary>
    /// Applies <see cref="SourceSettings"/> to the running server. Turning it off releases commits waiting at that moment
    /// (the server switches semi-sync off and wakes them). Turning it on waits only from the next commit.
    /// </summary>
    public static void ServeSemiSync(MariaDbConnection connection, bool synchronous)
    {
        var settings = SourceSettings(synchronous);
        // Enabled last when turning on (every limit is in place first), first when turning off (nothing waits any more).
        var ordered = synchronous ? settings.OrderBy(s => s.Key == "rpl_semi_sync_master_enabled") : settings.OrderByDescending(s => s.Key == "rpl_semi_sync_master_enabled");
        foreach (var (key, value) in ordered)
            connection.Execute($"SET GLOBAL {key} = {value}");
    }

    /// <summary>
    /// A commit made while its replica was still connected asynchronously (the set was just made synchronous, or the
    /// replica was re-pointed) waits for an acknowledgement that replica will never send: on its new, semi-synchronous
    /// connection it asks only for what comes after. Acknowledgements cover everything up to their position, so once a
    /// semi-synchronous replica is connected, one small transaction of the guest's own releases every such commit.
    /// hoard-server asks for the context again once the replicas have attached, which lands here.
    /// </summary>
    public static void ReleaseStrandedCommits(MariaDbConnection connection)
    {
        var status = connection.Query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Rpl_semi_sync_master_clients', 'Rpl_semi_sync_master_wait_sessions')")
            .ToDictionary(row => row[0]!, row => long.Parse(row[1] ?? "0", CultureInfo.InvariantCulture), StringComparer.OrdinalIgnoreCase);
        if (status.GetValueOrDefault("Rpl_semi_sync_master_clients") == 0 || status.GetValueOrDefault("Rpl_semi_sync_master_wait_sessions") == 0)
            return;
        connection.Execute("CREATE TABLE IF NOT EXISTS mysql.hoard_semisync (id INT PRIMARY KEY, at DATETIME(6) NOT NULL) ENGINE=InnoDB");
        connection.Execute("REPLACE INTO mysql.hoard_semisync VALUES (1, NOW(6))");
    }

    /// <summary>The context asks for semi-synchronous replication (<c>Data["sync"] = "true"</c>): the source's commits wait for this replica to have received them.</summary>
    public static bool IsSemiSync(ReplicaContext source) =>
        source.Data?.GetValueOrDefault("sync") is { } sync && sync.Equals("true", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Waits until the replica streams from its source. Fails (and stops the replica) when replication stopped with an
    /// error, e.g. the instance holds transactions its source does not (strict GTIDs refuse to diverge), or when it
    /// still cannot connect at the deadline; a replica still connecting without an error is left to go on trying.
    /// </summary>
    public static async Task WaitUntilStreamingAsync(Func<MariaDbConnection> open, ReplicaContext source, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var streamingSeen = 0;
        while (true)
        {
            string? error;
            using (var connection = open())
            {
                var slave = SlaveStatus(connection);
                if (slave is null)
                    throw new HandlerException(GuestErrorCodes.Internal, "MariaDB has no source configured after CHANGE MASTER TO.");
                // Twice in a row: the source refuses a start position just after the connection, which already counts as running.
                if (IsStreaming(slave) && ++streamingSeen >= 2)
                    return;
                error = Error(slave);
                var stopped = slave.GetValueOrDefault("Slave_IO_Running") == "No" || slave.GetValueOrDefault("Slave_SQL_Running") == "No";
                if (error is not null && (stopped || watch.Elapsed > timeout))
                {
                    connection.Execute("STOP SLAVE");
                    throw new HandlerException(GuestErrorCodes.BadRequest, $"This instance cannot follow {source.Host}:{source.Port}: {error}");
                }
            }

            if (watch.Elapsed > timeout)
                return;
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>
    /// Stops following: first stops receiving, then lets the applier finish what was received (at most
    /// <paramref name="applyWait"/>), then forgets the source. Returns false when the applier did not finish in time.
    /// </summary>
    public static bool StopFollowing(MariaDbConnection connection, TimeSpan applyWait)
    {
        connection.Execute("SET SESSION sql_log_bin = 0");
        var applied = true;
        if (SlaveStatus(connection) is not null)
        {
            connection.Execute("STOP SLAVE IO_THREAD");
            var slave = SlaveStatus(connection);
            if (applyWait > TimeSpan.Zero && slave is not null && slave.GetValueOrDefault("Slave_SQL_Running") == "Yes" && slave.GetValueOrDefault("Gtid_IO_Pos") is { Length: > 0 } received)
            {
                var seconds = Math.Max(1, (int)applyWait.TotalSeconds);
                applied = connection.Query($"SELECT MASTER_GTID_WAIT({connection.Literal(received)}, {seconds})")[0][0] == "0";
            }

            connection.Execute("STOP SLAVE");
            connection.Execute("RESET SLAVE ALL");
        }

        return applied;
    }

    /// <summary>Ends every customer session (their open transactions roll back), and waits until they are gone.</summary>
    public static async Task EndCustomerSessionsAsync(MariaDbConnection connection, TimeSpan timeout, CancellationToken cancellationToken)
    {
        foreach (var id in connection.Query(CustomerSessions).Select(row => row[0]!))
        {
            try
            {
                connection.Execute($"KILL CONNECTION {long.Parse(id, CultureInfo.InvariantCulture)}");
            }
            catch (MariaDbException e) when (e.ErrorNumber == UnknownThread)
            {
            }
        }

        var watch = Stopwatch.StartNew();
        while (connection.Query(CustomerSessions).Count > 0 && watch.Elapsed < timeout)
            await Task.Delay(20, cancellationToken);
    }

    /// <summary><c>SHOW SLAVE STATUS</c>, or null when no source is configured.</summary>
    public static Dictionary<string, string?>? SlaveStatus(MariaDbConnection connection) =>
        connection.QueryNamed("SHOW SLAVE STATUS").FirstOrDefault();

    public static bool IsStreaming(Dictionary<string, string?> slave) =>
        slave.GetValueOrDefault("Slave_IO_Running") == "Yes" && slave.GetValueOrDefault("Slave_SQL_Running") == "Yes";

    /// <summary>The last replication error, receiving or applying, in the server's words; null when there is none.</summary>
    public static string? Error(Dictionary<string, string?> slave)
    {
        var errors = new[] { ("Last_IO_Errno", "Last_IO_Error"), ("Last_SQL_Errno", "Last_SQL_Error") }
            .Where(e => slave.GetValueOrDefault(e.Item1) is { } n && n != "0" && !string.IsNullOrEmpty(slave.GetValueOrDefault(e.Item2)))
            .Select(e => $"error {slave[e.Item1]}: {slave[e.Item2]}")
            .ToList();
        return errors.Count > 0 ? string.Join("; ", errors) : null;
    }

    /// <summary>
    /// The instance's position now: the furthest of its binary log (what it wrote or, as a replica, applied and logged) and
    /// its applied replication position (ahead of the log only on a new replica that has applied nothing yet).
    /// </summary>
    public static (long Position, string Text, bool ReadOnly) Position(MariaDbConnection connection)
    {
        var row = connection.Query("SELECT @@GLOBAL.gtid_binlog_pos, @@GLOBAL.gtid_slave_pos, @@GLOBAL.read_only")[0];
        var binlog = row[0] ?? "";
        var slave = row[1] ?? "";
        var readOnly = row[2] == "1";
        return DomainZero(slave) > DomainZero(binlog) ? (DomainZero(slave), slave, readOnly) : (DomainZero(binlog), binlog, readOnly);
    }

    /// <summary>The sequence number of domain 0 in a GTID list (<c>0-1-163,1-2-5</c> → 163); 0 when it has none.</summary>
    public static long DomainZero(string gtidList)
    {
        foreach (var gtid in gtidList.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = gtid.Split('-');
            if (parts.Length == 3 && parts[0] == "0" && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var seqNo))
                return seqNo;
        }

        return 0;
    }

    private const int UnknownThread = 1094;
}
