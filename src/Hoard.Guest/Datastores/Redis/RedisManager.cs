using System.Diagnostics;
using System.Globalization;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Microsoft.Extensions.Logging;

namespace Hoard.Guest.Datastores.Redis;

/// <summary>How long each step of the last prepare took.</summary>
internal sealed record RedisPreparePhases(TimeSpan Install, TimeSpan Start, TimeSpan CreateUsers, TimeSpan Total);

/// <summary>
/// Redis 7 behind Trove's guest verbs. The server runs as a supervised child of the guest; the guest talks to
/// it over its unix socket as the ACL user <c>os_admin</c>, one short connection per operation.
/// <para>
/// Capabilities: users (ACL users, see <see cref="RedisAcl"/> for the commands they may not run) and root (the
/// <c>default</c> user, see <see cref="RedisRoot"/>). Redis has no Trove databases: the database and access
/// verbs answer <see cref="GuestErrorCodes.NotSupported"/>, which the API turns into 501.
/// </para>
/// </summary>
internal sealed partial class RedisManager : SupervisedDatastoreManager, IDatastoreManager
{
    private readonly RedisOptions _options;
    private readonly GuestConfig _config;
    private readonly RedisServer _server;
    private readonly RedisBackup _backup;
    private readonly RedisReplication _replication;

    /// <param name="logger">Receives lifecycle lines (starts, crashes, timings); never a password or an RPC argument.</param>
    public RedisManager(GuestConfig config, ILogger? logger = null, RedisOptions? options = null)
        : base(config.Paths, "redis", "Redis", logger)
    {
        _config = config;
        _options = options ?? new RedisOptions();
        _server = new RedisServer(config, _options, Log, OnServerCrash);
        _backup = new RedisBackup(_options, _server);
        _replication = new RedisReplication(config, _options, _server);
    }

    public RedisPreparePhases? LastPrepareTimings { get; private set; }

    internal RedisServer Server => _server;

    protected override string PreparedMarker => _server.Paths.PreparedMarker;

    protected override ServerSupervisor? Supervisor => _server.Supervisor;

    protected override TimeSpan StartupGrace => _options.StartupGrace;

    protected override string BackupStrategy => BackupStrategies.RedisRdb;

    public Task CreateDatabasesAsync(IReadOnlyList<DatabaseSpec> databases, CancellationToken cancellationToken) =>
        Task.FromException(NoDatabases());

    public Task<IReadOnlyList<DatabaseSpec>> ListDatabasesAsync(CancellationToken cancellationToken) =>
        Task.FromException<IReadOnlyList<DatabaseSpec>>(NoDatabases());

    public Task DeleteDatabaseAsync(string name, CancellationToken cancellationToken) => Task.FromException(NoDatabases());

    public Task GrantAccessAsync(AccessRequest request, CancellationToken cancellationToken) => Task.FromException(NoDatabases());

    public Task RevokeAccessAsync(UserRef user, string database, CancellationToken cancellationToken) =>
        Task.FromException(NoDatabases());

    public Task<IReadOnlyList<string>> ListAccessAsync(UserRef user, CancellationToken cancellationToken) =>
        Task.FromException<IReadOnlyList<string>>(NoDatabases());

    public Task CreateUsersAsync(IReadOnlyList<UserSpec> users, CancellationToken cancellationToken) =>
        ChangeAsync(connection => RedisUsers.Create(connection, users), cancellationToken);

    public async Task<IReadOnlyList<UserInfo>> ListUsersAsync(CancellationToken cancellationToken) =>
        await ReadAsync(RedisUsers.List, cancellationToken);

    public Task<UserInfo> GetUserAsync(UserRef user, CancellationToken cancellationToken) =>
        ReadAsync(connection => RedisUsers.Get(connection, user), cancellationToken);

    public Task UpdateUserAttributesAsync(UserAttributes attributes, CancellationToken cancellationToken) =>
        ChangeAsync(connection => RedisUsers.UpdateAttributes(connection, attributes), cancellationToken);

    public Task ChangePasswordsAsync(IReadOnlyList<UserSpec> users, CancellationToken cancellationToken) =>
        ChangeAsync(connection => RedisUsers.ChangePasswords(connection, users), cancellationToken);

    public Task DeleteUserAsync(UserRef user, CancellationToken cancellationToken) =>
        ChangeAsync(connection => RedisUsers.Delete(connection, user), cancellationToken);

    public Task<RootCredentials> EnableRootAsync(string? password, CancellationToken cancellationToken) =>
        ChangeAsync(connection => RedisRoot.Enable(connection, _server.Paths, password), cancellationToken);

    public Task DisableRootAsync(CancellationToken cancellationToken) =>
        ChangeAsync(connection => RedisRoot.Disable(connection, _server.Paths), cancellationToken);

    public Task<bool> IsRootEnabledAsync(CancellationToken cancellationToken) =>
        Task.FromResult(RedisRoot.IsEnabled(_server.Paths));

    protected override IReadOnlyList<KeyValuePair<string, string?>> Settings(ConfigurationState state) =>
        [.. RedisConfigTemplate.Settings(_config, state.MemoryMb, state.Overrides).Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))];

    protected override Task<UpdateOverridesResult> ApplyConfigurationAsync(ConfigurationChange change, CancellationToken cancellationToken)
    {
        var after = RedisConfigTemplate.Settings(_config, change.After.MemoryMb, change.After.Overrides);
        var redisConf = _replication.WithReplication(RedisConfigTemplate.Render(_config, change.After.MemoryMb, change.After.Overrides));
        return ReadAsync(connection => RedisConfiguration.Apply(connection, change, after, () => _server.WriteConfig(redisConf)), cancellationToken);
    }

    /// <summary>The process title template names the config file's path once the server runs.</summary>
    protected override string? ShownValue(string key, string? value) => key == "proc-title-template" ? null : value;

    protected override Task QueryProbeAsync(CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            using var connection = _server.OpenAdmin(_options.ProbeTimeout);
            connection.Execute("PING");
        }, cancellationToken);

    protected override bool IsProbeFailure(Exception e) => e is RedisException;

    protected override Task<(long Connections, long QueriesTotal)> QueryActivityAsync(CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            using var connection = _server.OpenAdmin(_options.ProbeTimeout);
            var info = RedisInfo.Read(connection, "clients", "stats");
            return (long.Parse(info["connected_clients"], CultureInfo.InvariantCulture) - 1,
                long.Parse(info["total_commands_processed"], CultureInfo.InvariantCulture));
        }, cancellationToken);

    protected override Task<CreateBackupResult> BackUpServerAsync(CreateBackupRequest request, CancellationToken cancellationToken) =>
        _backup.CreateAsync(request, cancellationToken);

    protected override Task StopServerAsync() => _server.StopAsync();

    protected override ValueTask DisposeServerAsync() => _server.DisposeAsync();

    internal static HandlerException NoDatabases() =>
        new(GuestErrorCodes.NotSupported, "Redis has no databases in Trove's sense: database and user access operations are not supported.");

    protected override async Task PrepareServerAsync(PrepareRequest request, CancellationToken cancellationToken)
    {
        // Everything a caller could get wrong is checked before anything is written.
        var redisConf = RedisConfigTemplate.Render(_config, request.MemoryMb, request.ConfigOverrides);
        if (request.Databases.Count > 0)
            throw NoDatabases();
        RedisUsers.Validate(request.Users);
        ValidateRestore(request.Restore);
        var sourceUsers = request.ReplicaOf is { } replicaOf ? _replication.Validate(replicaOf) : null;
        if (request.ReplicaOf is not null && request.Restore is not null)
            throw new HandlerException(GuestErrorCodes.BadRequest, "A Redis replica takes its data from its source, not from a backup.");

        var total = Stopwatch.StartNew();
        await _server.StopAsync();
        File.Delete(_server.Paths.RootEnabledMarker);
        await _server.InstallAsync(redisConf, Secrets.GeneratePassword(), Secrets.GeneratePassword(), cancellationToken);
        _replication.ClearState();
        // A replica starts as one: its first start already follows the source, and it is never writable.
        if (request.ReplicaOf is { } source)
            _replication.SaveState(ReplicationState.AsReplicaOf(source));
        var appendOnly = false;
        if (request.Restore is { } restore)
        {
            await RestoreStepAsync(restore, () => _backup.RestoreAsync(restore, cancellationToken));
            appendOnly = RedisConfigTemplate.Settings(_config, request.MemoryMb, request.ConfigOverrides)
                .LastOrDefault(s => s.Key == "appendonly").Value == "yes";
            _server.LoadSnapshot = appendOnly;
        }

        var install = total.Elapsed;
        try
        {
            await StartServerAsync(cancellationToken);
            if (appendOnly)
            {
                await ReadAsync(connection =>
                {
                    _backup.WriteAppendOnlyFile(connection, cancellationToken);
                    return true;
                }, cancellationToken);
                _server.LoadSnapshot = false;
            }

            var start = total.Elapsed - install;
            await ChangeAsync(connection => RedisUsers.Create(connection, request.Users), cancellationToken);
            if (request.ReplicaOf is { } followed)
            {
                await ChangeAsync(connection => RedisAclCopy.Apply(connection, sourceUsers!), cancellationToken);
                await _replication.WaitUntilStreamingAsync(() => _server.OpenAdmin(_options.ProbeTimeout), $"{followed.Host}:{followed.Port}", cancellationToken);
            }

            MarkPrepared(request);
            LastPrepareTimings = new RedisPreparePhases(install, start, total.Elapsed - install - start, total.Elapsed);
            var from = request.Restore is { } backup ? $" from backup {backup.Layers[0].BackupId}"
                : request.ReplicaOf is { } followedSource ? $" as a replica of {followedSource.SourceId}" : "";
            Log($"redis: prepared{from} in {total.Elapsed.TotalSeconds:0.000} s (install {install.TotalSeconds:0.000} s, start {start.TotalSeconds:0.000} s).");
        }
        catch
        {
            await _server.StopAsync();
            _replication.ClearState();
            throw;
        }
    }

    protected override async Task StartServerAsync(CancellationToken cancellationToken)
    {
        await _server.StartAsync(cancellationToken);
        await _server.WaitUntilAnsweringAsync(cancellationToken);
        // CLIENT PAUSE dies with the process: a demoted source restarted before its promote or attach holds writes again.
        if (_replication.LoadState() is { Demoted: true })
            await ReadAsync(connection =>
            {
                _replication.HoldWrites(connection);
                return true;
            }, cancellationToken);
    }

    private async Task ChangeAsync(Action<RedisConnection> change, CancellationToken cancellationToken) =>
        await ChangeAsync(connection =>
        {
            change(connection);
            return true;
        }, cancellationToken);

    private Task<T> ChangeAsync<T>(Func<RedisConnection, T> change, CancellationToken cancellationToken) =>
        OneChangeAtATimeAsync(() => ReadAsync(change, cancellationToken), cancellationToken);

    private Task<T> ReadAsync<T>(Func<RedisConnection, T> read, CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            try
            {
                using var connection = _server.OpenAdmin(_options.QueryTimeout);
                return read(connection);
            }
            catch (RedisException e) when (e.IsConnectionFailure || e.ErrorCode == "LOADING")
            {
                throw new HandlerException(GuestErrorCodes.NotReady, $"Redis is not answering: {e.Message}");
            }
        }, cancellationToken);

    public Task<ReplicaContext> GetReplicaContextAsync(ReplicaContextRequest request, CancellationToken cancellationToken)
    {
        if (!IsPrepared)
            throw new HandlerException(GuestErrorCodes.NotReady, "Redis has not been prepared yet.");
        return ChangeAsync(connection =>
        {
            var context = _replication.ContextFor(connection);
            Log($"redis: ready to serve replica {request.ReplicaId}.");
            return context;
        }, cancellationToken);
    }

    public Task AttachReplicaAsync(ReplicaContext source, CancellationToken cancellationToken)
    {
        var users = _replication.Validate(source);
        return RoleChangeAsync(connection =>
        {
            _replication.Follow(connection, source, users);
            Log($"redis: now follows {source.SourceId} ({source.Host}:{source.Port}).");
            return true;
        }, ReplicationState.AsReplicaOf(source), cancellationToken, before =>
        {
            // A full resync would silently replace the data of an instance that was never the source's or its replica.
            if (before is null)
                throw new HandlerException(GuestErrorCodes.BadRequest,
                    "This instance never took part in replication, so its data is not a prefix of the source's: build a replica with prepare instead.");
        });
    }

    /// <summary>A Redis source keeps nothing per replica (its backlog is shared), so there is nothing to free.</summary>
    public Task ForgetReplicaAsync(string replicaId, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs on every heartbeat: no file, no query; otherwise one <c>INFO replication</c> over the socket.</summary>
    public Task<ReplicationReport?> GetReplicationStatusAsync(CancellationToken cancellationToken)
    {
        if (_replication.LoadState() is not { } state)
            return Task.FromResult<ReplicationReport?>(null);
        return Task.Run<ReplicationReport?>(() =>
        {
            try
            {
                using var connection = _server.OpenAdmin(_options.ProbeTimeout);
                return _replication.Report(connection, state);
            }
            catch (RedisException e) when (e.IsConnectionFailure || e.ErrorCode == "LOADING")
            {
                throw new HandlerException(GuestErrorCodes.NotReady, $"Redis is not answering: {e.Message}");
            }
        }, cancellationToken);
    }

    public Task<ReplicationReport> PromoteAsync(CancellationToken cancellationToken) =>
        RoleChangeAsync(connection =>
        {
            var watch = Stopwatch.StartNew();
            RedisReplication.Lead(connection);
            var report = _replication.Report(connection, ReplicationState.AsSource());
            Log($"redis: promoted at offset {report.Position} in {watch.Elapsed.TotalSeconds:0.000} s.");
            return report;
        }, ReplicationState.AsSource(), cancellationToken);

    public Task<ReplicationReport> DemoteAsync(CancellationToken cancellationToken)
    {
        var demoted = ReplicationState.AsSource() with { Demoted = true };
        return RoleChangeAsync(connection =>
        {
            _replication.HoldWrites(connection);
            var report = _replication.Report(connection, demoted);
            Log($"redis: demoted; writes held at offset {report.Position}.");
            return report;
        }, demoted, cancellationToken, before =>
        {
            if (before is { Role: ReplicationRoles.Replica })
                throw new HandlerException(GuestErrorCodes.BadRequest, "A replica cannot be demoted: only a source can.");
        });
    }

    /// <summary>
    /// The role is written first (file, configuration), then the running server told: a crash in between restarts
    /// the server in the new role rather than the old.
    /// </summary>
    /// <param name="check">Refuses the change, given the role before it; runs under the same locks.</param>
    private Task<T> RoleChangeAsync<T>(
        Func<RedisConnection, T> change, ReplicationState state, CancellationToken cancellationToken, Action<ReplicationState?>? check = null) =>
        UnderLifecycleAsync(() => OneChangeAtATimeAsync(() =>
        {
            check?.Invoke(_replication.LoadState());
            _replication.SaveState(state);
            return ReadAsync(change, cancellationToken);
        }, cancellationToken), cancellationToken);
}
