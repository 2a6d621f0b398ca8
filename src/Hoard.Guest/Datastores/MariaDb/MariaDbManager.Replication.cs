using System.Diagnostics;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;

namespace Hoard.Guest.Datastores.MariaDb;

/// <summary>
/// GTID replication. Every member of a set runs with the binary log, <c>log_slave_updates</c> and
/// <c>gtid_strict_mode</c>, so any replica can become the source and the others follow it from their own position.
/// The role is kept in <see cref="ReplicationState"/>; <c>my.cnf</c> is rendered from it (a replica or a demoted source
/// starts read-only) and the server remembers its source in <c>master.info</c>.
/// </summary>
internal sealed partial class MariaDbManager
{
    private const string PasswordFileName = "replication-password";

    private string ReplicationPasswordPath => Path.Combine(_config.Paths.Etc, PasswordFileName);

    private MariaDbReplicationRole ReplicationRole => _replication switch
    {
        null => MariaDbReplicationRole.None,
        { Role: ReplicationRoles.Replica, Source: { } source } when MariaDbReplication.IsSemiSync(source) => MariaDbReplicationRole.SemiSyncReplica,
        { Role: ReplicationRoles.Replica } or { Demoted: true } => MariaDbReplicationRole.ReadOnly,
        { Synchronous: true } => MariaDbReplicationRole.SynchronousSource,
        _ => MariaDbReplicationRole.Source,
    };

    /// <summary>
    /// Creates (once) the replication account <c>os_repl@'%'</c>, whose password is kept in <c>etc/replication-password</c>
    /// (0600), and turns the binary log on, restarting the server if it ran without one. Then takes the set's mode from
    /// <see cref="ReplicaContextRequest.Synchronous"/>, at once and for good (<see cref="ReplicationState.Synchronous"/> and
    /// <c>my.cnf</c>): a synchronous source's commits wait for a replica's acknowledgement and its context tells the replica
    /// to give one (<c>Data["sync"] = "true"</c>); an asynchronous source's commits wait for nothing.
    /// </summary>
    public Task<ReplicaContext> GetReplicaContextAsync(ReplicaContextRequest request, CancellationToken cancellationToken) =>
        UnderLifecycleAsync(() => OneChangeAtATimeAsync(async () =>
        {
            if (_replication is { Role: ReplicationRoles.Replica })
                throw new HandlerException(GuestErrorCodes.BadRequest, "This instance is a replica; only a source serves replicas. Promote it first.");
            if (!File.Exists(ReplicationPasswordPath))
                SecretFile.WriteLine(ReplicationPasswordPath, Secrets.GeneratePassword());
            var password = SecretFile.ReadLine(ReplicationPasswordPath);
            if (_replication is null)
                SaveReplication(ReplicationState.AsSource());
            RewriteConfig();
            await RestartIfAsync("turn the binary log on", connection => connection.Query("SELECT @@GLOBAL.log_bin")[0][0] != "1", cancellationToken);
            // The account first: a source that turns synchronous with no replica yet would wait for one to acknowledge it.
            await ReadAsync(connection =>
            {
                connection.Execute("SET GLOBAL gtid_strict_mode = ON");
                MariaDbReplication.EnsureAccount(connection, password);
                return true;
            }, cancellationToken);
            if (_replication!.Synchronous != request.Synchronous)
            {
                SaveReplication(_replication with { Synchronous = request.Synchronous });
                RewriteConfig();
            }

            // A demoted source keeps the set's mode for a promotion back, but waits for nothing while it cannot commit.
            await ReadAsync(connection =>
            {
                MariaDbReplication.ServeSemiSync(connection, ReplicationRole == MariaDbReplicationRole.SynchronousSource);
                if (ReplicationRole == MariaDbReplicationRole.SynchronousSource)
                    MariaDbReplication.ReleaseStrandedCommits(connection);
                return true;
            }, cancellationToken);
            Log($"mariadb: ready to serve replica {request.ReplicaId} ({(request.Synchronous ? "synchronous: commits wait for a replica" : "asynchronous")}).");
            var data = new Dictionary<string, string>(StringComparer.Ordinal);
            if (request.Synchronous)
                data["sync"] = "true";
            return new ReplicaContext(_config.InstanceId, _config.Address, _config.Port, MariaDbReplication.User, password, data);
        }, cancellationToken), cancellationToken);

    /// <summary>
    /// Follows <paramref name="source"/> from everything this instance holds: a demoted source from its own last
    /// transaction, a re-pointed replica from what it applied. An instance whose last transaction the source does not
    /// have is refused (it would diverge; strict GTIDs would stop it later anyway), and a source or standalone instance
    /// that cannot follow goes back to what it was. A restart happens only if the server runs without
    /// <c>log_slave_updates</c> (a source that had its binary log on before it served replicas).
    /// </summary>
    public Task AttachReplicaAsync(ReplicaContext source, CancellationToken cancellationToken) =>
        UnderLifecycleAsync(() => OneChangeAtATimeAsync(async () =>
        {
            ValidateSource(source);
            var watch = Stopwatch.StartNew();
            var previous = _replication;
            var wasWritable = ReplicationRole is MariaDbReplicationRole.None or MariaDbReplicationRole.Source;
            SaveReplication(ReplicationState.AsReplicaOf(source));
            RewriteConfig();
            await RestartIfAsync("turn the binary log and log_slave_updates on",
                connection => connection.Query("SELECT @@GLOBAL.log_bin AND @@GLOBAL.log_slave_updates")[0][0] != "1", cancellationToken);
            try
            {
                await WithAdminAsync(async connection =>
                {
                    connection.Execute("SET GLOBAL read_only = ON");
                    if (wasWritable)
                        await MariaDbReplication.EndCustomerSessionsAsync(connection, _options.DemoteSessionWait, cancellationToken);
                    MariaDbReplication.Follow(connection, source, gtid: null);
                    return true;
                }, cancellationToken);
                await MariaDbReplication.WaitUntilStreamingAsync(() => _server.OpenAdmin(_options.QueryTimeout), source, _options.ReplicaConnectTimeout, cancellationToken);
            }
            catch (HandlerException) when (previous is not { Role: ReplicationRoles.Replica })
            {
                await UndoAttachAsync(previous, wasWritable, cancellationToken);
                throw;
            }

            Log($"mariadb: following {source.SourceId} at {source.Host}:{source.Port} ({watch.Elapsed.TotalSeconds:0.000} s).");
            return true;
        }, cancellationToken), cancellationToken);

    /// <summary>A source (or a standalone instance) that could not follow goes back to what it was.</summary>
    private async Task UndoAttachAsync(ReplicationState? previous, bool wasWritable, CancellationToken cancellationToken)
    {
        await ReadAsync(connection =>
        {
            MariaDbReplication.StopFollowing(connection, TimeSpan.Zero);
            connection.Execute($"SET GLOBAL read_only = {(wasWritable ? "OFF" : "ON")}");
            return true;
        }, cancellationToken);
        if (previous is null)
            ForgetUnfinishedReplication();
        else
            SaveReplication(previous);
        RewriteConfig();
        await ReadAsync(connection =>
        {
            connection.Execute("SET GLOBAL rpl_semi_sync_slave_enabled = OFF");
            MariaDbReplication.ServeSemiSync(connection, ReplicationRole == MariaDbReplicationRole.SynchronousSource);
            return true;
        }, cancellationToken);
    }

    /// <summary>A MariaDB source keeps nothing per replica (its binary log serves them all), so there is nothing to free.</summary>
    public Task ForgetReplicaAsync(string replicaId, CancellationToken cancellationToken)
    {
        Log($"mariadb: replica {replicaId} left the set; nothing was kept for it.");
        return Task.CompletedTask;
    }

    /// <summary>One short query (two on a replica); nothing at all for a standalone instance.</summary>
    public async Task<ReplicationReport?> GetReplicationStatusAsync(CancellationToken cancellationToken)
    {
        if (_replication is not { } state)
            return null;
        return await ReadAsync(connection => Report(connection, state), cancellationToken);
    }

    /// <summary>
    /// Stops receiving, applies what was received, forgets the source (<c>RESET SLAVE ALL</c>) and accepts writes. The
    /// source's replication password, which this instance's copy of <c>os_repl</c> already has, is kept for its own replicas.
    /// A promoted replica stops acknowledging and is an asynchronous source until a <c>get_replica_context</c> gives it
    /// the set's mode; a demoted source promoted back keeps the mode it had.
    /// </summary>
    public Task<ReplicationReport> PromoteAsync(CancellationToken cancellationToken) =>
        UnderLifecycleAsync(() => OneChangeAtATimeAsync(async () =>
        {
            var state = _replication;
            if (state is { Role: ReplicationRoles.Source, Demoted: false })
                return await ReadAsync(connection => Report(connection, state), cancellationToken);
            var watch = Stopwatch.StartNew();
            var promoted = state is { Role: ReplicationRoles.Source } ? state with { Demoted = false } : ReplicationState.AsSource();
            var applied = await ReadAsync(connection =>
            {
                var done = MariaDbReplication.StopFollowing(connection, _options.PromoteApplyWait);
                connection.Execute("SET GLOBAL rpl_semi_sync_slave_enabled = OFF");
                MariaDbReplication.ServeSemiSync(connection, promoted.Synchronous);
                connection.Execute("SET GLOBAL read_only = OFF");
                return done;
            }, cancellationToken);
            if (state?.Source is { User: MariaDbReplication.User } followed)
                SecretFile.WriteLine(ReplicationPasswordPath, followed.Password);
            SaveReplication(promoted);
            RewriteConfig();
            Log($"mariadb: promoted to source in {watch.Elapsed.TotalSeconds:0.000} s" +
                $"{(applied ? "" : $"; what it had received was not all applied within {_options.PromoteApplyWait.TotalSeconds:0} s")}.");
            return await ReadAsync(connection => Report(connection, promoted), cancellationToken);
        }, cancellationToken), cancellationToken);

    /// <summary>
    /// Read-only first (commits in flight finish, no new one starts), then every customer session is ended so no open
    /// transaction is left to commit; the answer is the final position, which the replicas must reach.
    /// </summary>
    public Task<ReplicationReport> DemoteAsync(CancellationToken cancellationToken) =>
        UnderLifecycleAsync(() => OneChangeAtATimeAsync(async () =>
        {
            if (_replication is { Role: ReplicationRoles.Replica })
                throw new HandlerException(GuestErrorCodes.BadRequest, "This instance is a replica; only a source can be demoted.");
            var demoted = (_replication ?? ReplicationState.AsSource()) with { Demoted = true };
            var report = await WithAdminAsync(async connection =>
            {
                connection.Execute("SET GLOBAL read_only = ON");
                await MariaDbReplication.EndCustomerSessionsAsync(connection, _options.DemoteSessionWait, cancellationToken);
                SaveReplication(demoted);
                RewriteConfig();
                return Report(connection, demoted);
            }, cancellationToken);
            Log($"mariadb: demoted at {report.PositionText}.");
            return report;
        }, cancellationToken), cancellationToken);

    private static ReplicationReport Report(MariaDbConnection connection, ReplicationState state)
    {
        var slave = state.Role == ReplicationRoles.Replica ? MariaDbReplication.SlaveStatus(connection) : null;
        var (position, text, readOnly) = MariaDbReplication.Position(connection);
        if (state.Role != ReplicationRoles.Replica)
            return new ReplicationReport(ReplicationRoles.Source, position, text, ReadOnly: readOnly);
        if (slave is null)
            return new ReplicationReport(ReplicationRoles.Replica, position, text, Streaming: false,
                SourceHost: state.Source is { } s ? $"{s.Host}:{s.Port}" : null, Error: "No source is configured.", ReadOnly: readOnly);
        var lag = double.TryParse(slave.GetValueOrDefault("Seconds_Behind_Master"), System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? seconds
            : (double?)null;
        return new ReplicationReport(ReplicationRoles.Replica, position, text, MariaDbReplication.IsStreaming(slave), lag,
            $"{slave.GetValueOrDefault("Master_Host")}:{slave.GetValueOrDefault("Master_Port")}", MariaDbReplication.Error(slave), readOnly);
    }

    /// <summary>The prepare of a replica: after the restore, follow the source from the backup's GTID.</summary>
    private async Task FollowFromBackupAsync(ReplicaContext source, RestoreSource restore, CancellationToken cancellationToken)
    {
        var gtid = restore.Layers[^1].Metadata["binlog_gtid"];
        await ReadAsync(connection =>
        {
            MariaDbReplication.Follow(connection, source, gtid);
            return true;
        }, cancellationToken);
        await MariaDbReplication.WaitUntilStreamingAsync(() => _server.OpenAdmin(_options.QueryTimeout), source, _options.ReplicaConnectTimeout, cancellationToken);
        SaveReplication(ReplicationState.AsReplicaOf(source));
    }

    /// <summary>A replica is seeded from a mariadb-backup of its source, which says at which GTID it is consistent.</summary>
    private static void ValidateReplicaOf(PrepareRequest request)
    {
        if (request.ReplicaOf is not { } source)
            return;
        ValidateSource(source);
        if (request.Restore is not { Strategy: BackupStrategies.MariaDbBackup, Recovery: null } restore)
            throw new HandlerException(GuestErrorCodes.BadRequest, "A MariaDB replica is built from a mariadb-backup backup of its source (and no point-in-time recovery).");
        if (restore.Layers.Count == 0 || !restore.Layers[^1].Metadata.ContainsKey("binlog_gtid"))
            throw new HandlerException(GuestErrorCodes.BadRequest,
                "The backup holds no binary log GTID (binlog_gtid): it was taken with the source's binary log off, so no replica can start from it.");
    }

    private static void ValidateSource(ReplicaContext source)
    {
        if (string.IsNullOrWhiteSpace(source.Host) || source.Port is < 1 or > 65535 || string.IsNullOrEmpty(source.User))
            throw new HandlerException(GuestErrorCodes.BadRequest, "The replication source names no host, port or user.");
    }

    private void RefuseOnReadOnlyMember()
    {
        if (ReplicationRole is MariaDbReplicationRole.ReadOnly or MariaDbReplicationRole.SemiSyncReplica)
            throw new HandlerException(GuestErrorCodes.BadRequest,
                "This instance is read-only: it is a replica (or a source demoted for a switchover); make the change on its source.");
    }

    /// <summary>Only an unfinished prepare leaves a role behind; a new prepare starts from none.</summary>
    private void ForgetUnfinishedReplication()
    {
        File.Delete(ReplicationState.PathIn(_config.Paths));
        File.Delete(MariaDbBinlogArchive.ArchivedUpToPath(_config.Paths));
        _replication = null;
    }

    private void SaveReplication(ReplicationState state)
    {
        state.Save(_config.Paths);
        _replication = state;
    }

    /// <summary>Renders <c>my.cnf</c> for the current role, so a restart keeps it.</summary>
    private void RewriteConfig()
    {
        var state = ConfigurationState.Load(Path.Combine(_config.Paths.Etc, ConfigurationState.FileName));
        if (state is null)
        {
            Log("mariadb: the configuration was written by an earlier guest and is not recorded; my.cnf keeps its replication settings until the next configuration update.");
            return;
        }

        _server.WriteConfig(MariaDbConfigTemplate.Render(_config, state.MemoryMb, state.Overrides, _binlog.Enabled, ReplicationRole));
    }

    private async Task RestartIfAsync(string why, Func<MariaDbConnection, bool> needed, CancellationToken cancellationToken)
    {
        if (!await ReadAsync(needed, cancellationToken))
            return;
        var watch = Stopwatch.StartNew();
        await _server.StopAsync();
        await StartServerAsync(cancellationToken);
        Log($"mariadb: restarted to {why} ({watch.Elapsed.TotalSeconds:0.000} s).");
    }

    private Task<T> WithAdminAsync<T>(Func<MariaDbConnection, Task<T>> action, CancellationToken cancellationToken) =>
        Task.Run(async () =>
        {
            try
            {
                using var connection = _server.OpenAdmin(_options.QueryTimeout);
                return await action(connection);
            }
            catch (MariaDbException e) when (e.IsConnectionFailure)
            {
                throw new HandlerException(GuestErrorCodes.NotReady, $"MariaDB is not answering: {e.Message}");
            }
        }, cancellationToken);
}
