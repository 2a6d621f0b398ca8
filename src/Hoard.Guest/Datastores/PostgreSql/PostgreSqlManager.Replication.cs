using System.Diagnostics;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;

namespace Hoard.Guest.Datastores.PostgreSql;

/// <summary>The replication verbs (see <see cref="PostgreSqlReplication"/>): roles change under the lifecycle lock.</summary>
internal sealed partial class PostgreSqlManager
{
    /// <summary>
    /// A replica: <c>pg_basebackup</c> of the source through the slot the source keeps for it, the guest's own
    /// configuration, standby settings in postgresql.auto.conf, then a start as a hot standby. The copy holds the
    /// source's roles, <c>os_admin</c> with the source's password, which a standby cannot change: a replication member's
    /// guest is <c>os_admin</c> by peer identity (see <see cref="PostgreSqlConfigTemplate.RenderHba"/>).
    /// </summary>
    private async Task PrepareReplicaAsync(PrepareRequest request, ReplicaContext source, string postgresqlConf, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        await _server.StopAsync();
        try
        {
            await _server.InstallAsync(postgresqlConf, dataDirectory => _replication.CopySourceAsync(source, dataDirectory, cancellationToken), cancellationToken);
            if (request.WalArchive is not null)
                _walArchive.EnsureSpool();
            _replication.WriteStandbyConfig(source);
            _server.WriteAccessRules();
            var copied = total.Elapsed;

            // Its password is not the role's (that is the source's) and is never asked for: peer identity lets the guest in.
            var credentials = PostgreSqlAdminCredentials.Generate();
            credentials.Save(_server.Paths.AdminCredentials);
            _server.Credentials = credentials;
            await _server.StartAsync(cancellationToken);
            await _server.WaitUntilAnsweringAsync(asPostgres: false, cancellationToken);
            var start = total.Elapsed - copied;

            MarkPrepared(request);
            LastPrepareTimings = new PostgreSqlPrepareTimings(copied, start, TimeSpan.Zero, TimeSpan.Zero, total.Elapsed);
            Log($"postgresql: prepared as a replica of {source.SourceId} in {total.Elapsed.TotalSeconds:0.000} s (copy {copied.TotalSeconds:0.000} s, start {start.TotalSeconds:0.000} s).");
        }
        catch
        {
            await _server.StopAsync();
            _replication.Forget();
            throw;
        }
    }

    public Task<ReplicaContext> GetReplicaContextAsync(ReplicaContextRequest request, CancellationToken cancellationToken)
    {
        RequirePrepared();
        return ChangeAsync(admin => _replication.PrepareSourceAsync(admin, request.ReplicaId, request.Synchronous), cancellationToken);
    }

    public Task ForgetReplicaAsync(string replicaId, CancellationToken cancellationToken)
    {
        RequirePrepared();
        return ChangeAsync(admin => _replication.DropSlotAsync(admin, replicaId), cancellationToken);
    }

    private void RequirePrepared()
    {
        if (!IsPrepared)
            throw new HandlerException(GuestErrorCodes.NotReady, "PostgreSQL has not been prepared yet.");
    }

    public async Task<ReplicationReport?> GetReplicationStatusAsync(CancellationToken cancellationToken)
    {
        if (ReplicationState.Load(_config.Paths) is not { } state)
            return null;
        return await ReadAsync(admin => _replication.StatusAsync(admin, state), cancellationToken);
    }

    /// <summary>
    /// Re-points a standby (a replica, or a demoted source) at <paramref name="source"/>: new standby settings and a
    /// reload, which restarts its WAL receiver; it follows the source onto its newer timeline. A writable instance is
    /// refused: its data may have moved past the source's.
    /// </summary>
    public Task AttachReplicaAsync(ReplicaContext source, CancellationToken cancellationToken) =>
        UnderLifecycleAsync(async () =>
        {
            if (source.SourceId == _config.InstanceId)
                throw new HandlerException(GuestErrorCodes.BadRequest, "An instance cannot follow itself.");
            await ReadAsync(async admin =>
            {
                if (!await PostgreSqlReplication.IsInRecoveryAsync(admin))
                    throw new HandlerException(GuestErrorCodes.BadRequest,
                        "This instance accepts writes: its data may have gone past the new source's. Demote it first, or rebuild it as a replica.");
                _replication.WriteStandbyConfig(source);
                _server.WriteAccessRules();
                // Slots it kept as a source would hold WAL for replicas that follow someone else now.
                await _replication.DropAllSlotsAsync(admin);
                await PostgreSqlConfiguration.ReloadAsync(_server, admin, _options.ReloadTimeout);
                return true;
            }, cancellationToken);
            Log($"postgresql: now following {source.SourceId} at {source.Host}:{source.Port}.");
            return true;
        }, cancellationToken);

    /// <summary>A standby is promoted (<c>pg_promote</c>, a new timeline) and its standby settings removed; a writable source is left as it is.</summary>
    public Task<ReplicationReport> PromoteAsync(CancellationToken cancellationToken) =>
        UnderLifecycleAsync(() => ReadAsync(async admin =>
        {
            if (await PostgreSqlReplication.IsInRecoveryAsync(admin))
            {
                var watch = Stopwatch.StartNew();
                if ((await admin.QueryAsync("SELECT pg_promote(true, 60)"))[0][0] != bool.TrueString)
                    throw new HandlerException(GuestErrorCodes.Internal, "PostgreSQL did not finish its promotion within 60 s.");
                _replication.ClearStandbyConfig();
                Log($"postgresql: promoted in {watch.Elapsed.TotalSeconds:0.000} s.");
            }
            else if (ReplicationState.Load(_config.Paths) is { } state && (state.Role != ReplicationRoles.Source || state.Demoted))
                _replication.ClearStandbyConfig();

            return await _replication.StatusAsync(admin, ReplicationState.Load(_config.Paths));
        }, cancellationToken), cancellationToken);

    /// <summary>
    /// For a switchover: a fast shutdown (its walsenders hand the replicas everything up to the shutdown checkpoint),
    /// then a start as a standby that follows nobody. Its final position is the end of that checkpoint, as it reports
    /// it; a replica that replayed as far has every write.
    /// </summary>
    public Task<ReplicationReport> DemoteAsync(CancellationToken cancellationToken) =>
        UnderLifecycleAsync(async () =>
        {
            var state = ReplicationState.Load(_config.Paths);
            if (state is { Role: ReplicationRoles.Replica })
                throw new HandlerException(GuestErrorCodes.BadRequest, "This instance is a replica, not a source: there is nothing to demote.");
            if (state is not { Demoted: true })
            {
                var watch = Stopwatch.StartNew();
                await _server.StopAsync();
                _replication.WriteDemotedConfig();
                await StartServerAsync(cancellationToken);
                Log($"postgresql: demoted (read-only) in {watch.Elapsed.TotalSeconds:0.000} s.");
            }

            return await ReadAsync(admin => _replication.StatusAsync(admin, ReplicationState.Load(_config.Paths)!), cancellationToken);
        }, cancellationToken);
}
