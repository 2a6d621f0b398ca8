using System.Diagnostics;
using System.Globalization;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Microsoft.Extensions.Logging;

namespace Hoard.Guest.Datastores.MariaDb;

/// <summary>How long each step of the last prepare took.</summary>
internal sealed record MariaDbPrepareTimings(TimeSpan InstallDb, TimeSpan Start, TimeSpan Secure, TimeSpan CreateObjects, TimeSpan Total);

/// <summary>
/// MariaDB behind Trove's guest verbs. The server runs as a supervised child of the guest; the guest talks to
/// it over its unix socket as <c>os_admin@localhost</c>, one short connection per operation.
/// </summary>
internal sealed partial class MariaDbManager : SupervisedDatastoreManager, IDatastoreManager
{
    private readonly GuestConfig _config;
    private readonly MariaDbOptions _options;
    private readonly MariaDbServer _server;
    private readonly MariaDbBackup _backup;
    private readonly MariaDbDumpBackup _dump;
    private readonly MariaDbBinlogArchive _binlog;
    private readonly MariaDbPointInTimeRecovery _recovery;
    private ReplicationState? _replication;

    /// <param name="logger">Receives lifecycle lines (starts, crashes, timings); never a password or an RPC argument.</param>
    public MariaDbManager(GuestConfig config, ILogger? logger = null, MariaDbOptions? options = null)
        : base(config.Paths, "mariadb", "MariaDB", logger)
    {
        _config = config;
        _options = options ?? new MariaDbOptions();
        _server = new MariaDbServer(config, _options, Log, OnServerCrash);
        _backup = new MariaDbBackup(_options, _server, Log);
        _dump = new MariaDbDumpBackup(_options, _server);
        _binlog = new MariaDbBinlogArchive(config, _options, _server, Log, TimeProvider.System) { RetainForReplicas = () => _replication is not null };
        _recovery = new MariaDbPointInTimeRecovery(config, _options, _server, Log);
        _replication = ReplicationState.Load(config.Paths);
        _binlog.Start();
    }

    public MariaDbPrepareTimings? LastPrepareTimings { get; private set; }

    internal MariaDbServer Server => _server;

    protected override string PreparedMarker => _server.Paths.PreparedMarker;

    protected override ServerSupervisor? Supervisor => _server.Supervisor;

    protected override TimeSpan StartupGrace => _options.StartupGrace;

    protected override string BackupStrategy => BackupStrategies.MariaDbBackup;

    protected override bool BackupIncremental => true;

    protected override IReadOnlyList<string> OtherBackupStrategies => [BackupStrategies.MariaDbDump];

    public Task CreateDatabasesAsync(IReadOnlyList<DatabaseSpec> databases, CancellationToken cancellationToken) =>
        ChangeAsync(connection => MariaDbDatabases.Create(connection, databases), cancellationToken);

    public async Task<IReadOnlyList<DatabaseSpec>> ListDatabasesAsync(CancellationToken cancellationToken) =>
        await ReadAsync(MariaDbDatabases.List, cancellationToken);

    public Task DeleteDatabaseAsync(string name, CancellationToken cancellationToken) =>
        ChangeAsync(connection => MariaDbDatabases.Delete(connection, name), cancellationToken);

    public Task CreateUsersAsync(IReadOnlyList<UserSpec> users, CancellationToken cancellationToken) =>
        ChangeAsync(connection => MariaDbUsers.Create(connection, users), cancellationToken);

    public async Task<IReadOnlyList<UserInfo>> ListUsersAsync(CancellationToken cancellationToken) =>
        await ReadAsync(MariaDbUsers.List, cancellationToken);

    public Task<UserInfo> GetUserAsync(UserRef user, CancellationToken cancellationToken) =>
        ReadAsync(connection => MariaDbUsers.Get(connection, user), cancellationToken);

    public Task UpdateUserAttributesAsync(UserAttributes attributes, CancellationToken cancellationToken) =>
        ChangeAsync(connection => MariaDbUsers.UpdateAttributes(connection, attributes), cancellationToken);

    public Task ChangePasswordsAsync(IReadOnlyList<UserSpec> users, CancellationToken cancellationToken) =>
        ChangeAsync(connection => MariaDbUsers.ChangePasswords(connection, users), cancellationToken);

    public Task DeleteUserAsync(UserRef user, CancellationToken cancellationToken) =>
        ChangeAsync(connection => MariaDbUsers.Delete(connection, user), cancellationToken);

    public Task GrantAccessAsync(AccessRequest request, CancellationToken cancellationToken) =>
        ChangeAsync(connection => MariaDbUsers.GrantAccess(connection, request), cancellationToken);

    public Task RevokeAccessAsync(UserRef user, string database, CancellationToken cancellationToken) =>
        ChangeAsync(connection => MariaDbUsers.RevokeAccess(connection, user, database), cancellationToken);

    public async Task<IReadOnlyList<string>> ListAccessAsync(UserRef user, CancellationToken cancellationToken) =>
        await ReadAsync(connection => MariaDbUsers.ListAccess(connection, user), cancellationToken);

    public Task<RootCredentials> EnableRootAsync(string? password, CancellationToken cancellationToken) =>
        ChangeAsync(connection => MariaDbRoot.Enable(connection, password), cancellationToken);

    public Task DisableRootAsync(CancellationToken cancellationToken) =>
        ChangeAsync(MariaDbRoot.Disable, cancellationToken);

    public Task<bool> IsRootEnabledAsync(CancellationToken cancellationToken) =>
        ReadAsync(MariaDbRoot.IsEnabled, cancellationToken);

    protected override IReadOnlyList<KeyValuePair<string, string?>> Settings(ConfigurationState state) =>
        MariaDbConfigTemplate.Settings(_config, state.MemoryMb, state.Overrides, _binlog.Enabled, ReplicationRole);

    protected override async Task<UpdateOverridesResult> ApplyConfigurationAsync(ConfigurationChange change, CancellationToken cancellationToken)
    {
        var after = Settings(change.After);
        var myCnf = MariaDbConfigTemplate.Render(_config, change.After.MemoryMb, change.After.Overrides, _binlog.Enabled, ReplicationRole);
        await _server.CheckConfigAsync(myCnf, cancellationToken);
        var result = await ReadAsync(connection => MariaDbConfiguration.Apply(connection, change, after, () => _server.WriteConfig(myCnf)), cancellationToken);
        // Hoard's own setting has no server variable behind it; the archiving loop reads the saved state at its next round.
        const string archiveTimeout = MariaDbConfigTemplate.ArchiveTimeoutKey;
        return result.PendingRestart.Contains(archiveTimeout)
            ? new UpdateOverridesResult([.. result.Applied, archiveTimeout], [.. result.PendingRestart.Where(k => k != archiveTimeout)])
            : result;
    }

    /// <summary>A bare flag (<c>skip_name_resolve</c>) is on.</summary>
    protected override string? ShownValue(string key, string? value) => value ?? "ON";

    protected override Task QueryProbeAsync(CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            using var connection = _server.OpenAdmin(_options.ProbeTimeout);
            connection.Query("SELECT 1");
        }, cancellationToken);

    protected override bool IsProbeFailure(Exception e) => e is MariaDbException;

    protected override Task<(long Connections, long QueriesTotal)> QueryActivityAsync(CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            using var connection = _server.OpenAdmin(_options.ProbeTimeout);
            var status = connection.Query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Threads_connected', 'Questions')")
                .ToDictionary(row => row[0]!, row => long.Parse(row[1]!, CultureInfo.InvariantCulture), StringComparer.OrdinalIgnoreCase);
            return (status["Threads_connected"] - 1, status["Questions"]);
        }, cancellationToken);

    protected override Task<CreateBackupResult> BackUpServerAsync(CreateBackupRequest request, CancellationToken cancellationToken) =>
        request.Strategy == BackupStrategies.MariaDbDump
            ? _dump.CreateAsync(request, cancellationToken)
            : BackUpPhysicallyAsync(request, cancellationToken);

    /// <summary>
    /// A full backup of an instance that archives its binary log also records where in it the backup is consistent, and
    /// closes the current file so that the window can start as soon as it is archived.
    /// </summary>
    private async Task<CreateBackupResult> BackUpPhysicallyAsync(CreateBackupRequest request, CancellationToken cancellationToken)
    {
        var result = await _backup.CreateAsync(request, cancellationToken);
        if (!_binlog.Enabled || request.Parent is not null)
            return result;
        var metadata = new Dictionary<string, string>(result.Metadata, StringComparer.Ordinal);
        foreach (var (key, value) in MariaDbBinlogArchive.BackupMetadata(result.Metadata, TimeProvider.System.GetUtcNow()))
            metadata[key] = value;
        await _binlog.ArchiveNowAsync(cancellationToken);
        return result with { Metadata = metadata };
    }

    protected override Task StopServerAsync() => _server.StopAsync();

    protected override async ValueTask DisposeServerAsync()
    {
        await _binlog.DisposeAsync();
        await _server.DisposeAsync();
    }

    protected override async Task PrepareServerAsync(PrepareRequest request, CancellationToken cancellationToken)
    {
        // Everything a caller could get wrong is checked before anything is installed.
        // The spool's presence is what turns the binary log on, now and at every later rendering of my.cnf.
        if (request.WalArchive is not null)
            _binlog.EnsureSpool();
        ForgetUnfinishedReplication();
        var myCnf = MariaDbConfigTemplate.Render(_config, request.MemoryMb, request.ConfigOverrides, _binlog.Enabled,
            request.ReplicaOf switch
            {
                null => MariaDbReplicationRole.None,
                { } source when MariaDbReplication.IsSemiSync(source) => MariaDbReplicationRole.SemiSyncReplica,
                _ => MariaDbReplicationRole.ReadOnly,
            });
        MariaDbDatabases.Validate(request.Databases);
        MariaDbUsers.Validate(request.Users);
        ValidateRestore(request.Restore);
        MariaDbBackup.ValidateChain(request.Restore);
        var missing = request.Users.SelectMany(u => u.Databases ?? []).FirstOrDefault(name => request.Databases.All(d => d.Name != name));
        if (missing is not null)
            throw MariaDbDatabases.NotFound(missing);
        ValidateReplicaOf(request);
        if (request.Restore is { Strategy: BackupStrategies.MariaDbDump, Recovery: not null })
            throw new HandlerException(GuestErrorCodes.BadRequest, "A logical backup (mariadb-dump) holds no binary log position: it cannot start a restore to a point in time.");
        // A logical backup is replayed into a server prepared as any new one is.
        if (request.Restore is { Strategy: not BackupStrategies.MariaDbDump } restore)
        {
            await PrepareRestoredAsync(request, restore, myCnf, cancellationToken);
            return;
        }

        var total = Stopwatch.StartNew();
        await _server.StopAsync();
        await _server.InstallAsync(myCnf, restore: null, cancellationToken);
        var installDb = total.Elapsed;

        var credentials = MariaDbAdminCredentials.Generate();
        credentials.Save(_server.Paths.AdminCredentials, _server.Paths.Socket);
        _server.Credentials = credentials;
        _server.WriteInitFile(MariaDbInitScript.Render(Secrets.GeneratePassword(), credentials));
        try
        {
            await _server.StartAsync(cancellationToken);
            await _server.WaitUntilAnsweringAsync(cancellationToken);
            var start = total.Elapsed - installDb;
            _server.DeleteInitFile();
            await Task.Run(() =>
            {
                using var connection = _server.OpenAdmin(_options.QueryTimeout);
                var leftovers = connection.Query(MariaDbInitScript.AuditQuery).Select(row => row[0]).ToList();
                if (leftovers.Count > 0)
                    throw new HandlerException(GuestErrorCodes.Internal, $"MariaDB was not locked down; still present: {string.Join(", ", leftovers)}.");
            }, cancellationToken);
            var secure = total.Elapsed - installDb - start;

            if (request.Restore is { } dump)
            {
                await RestoreStepAsync(dump, () => _dump.RestoreAsync(dump.Layers[0], cancellationToken));
                await ChangeAsync(connection => CreateKeepingRestored(connection, request), cancellationToken);
            }
            else
            {
                await ChangeAsync(connection =>
                {
                    MariaDbDatabases.Create(connection, request.Databases);
                    MariaDbUsers.Create(connection, request.Users);
                }, cancellationToken);
            }

            MarkPrepared(request);
            LastPrepareTimings = new MariaDbPrepareTimings(installDb, start, secure, total.Elapsed - installDb - start - secure, total.Elapsed);
            Log($"mariadb: prepared{(request.Restore is { } from ? $" from backup {from.Layers[0].BackupId} ({from.Strategy})" : "")} in {total.Elapsed.TotalSeconds:0.000} s (datadir {installDb.TotalSeconds:0.000} s, start {start.TotalSeconds:0.000} s, secure {secure.TotalSeconds:0.000} s).");
        }
        catch
        {
            _server.DeleteInitFile();
            await _server.StopAsync();
            throw;
        }
    }

    /// <summary>
    /// A prepare from a backup: the restored data keeps its databases, users and grants; the guest takes it over with
    /// its own new administrator password (set by the init file before the server accepts a connection). Requested
    /// databases and users the backup already holds are kept; a requested user that exists gets the requested password
    /// and access.
    /// </summary>
    private async Task PrepareRestoredAsync(PrepareRequest request, RestoreSource restore, string myCnf, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        await _server.StopAsync();
        await RestoreStepAsync(restore, () =>
            _server.InstallAsync(myCnf, dataDirectory => _backup.RestoreAsync(restore, dataDirectory, cancellationToken), cancellationToken));
        if (restore.Recovery is { } recovery)
            await RestoreStepAsync(restore, () => _recovery.FetchAsync(recovery, cancellationToken));
        var restored = total.Elapsed;

        var credentials = MariaDbAdminCredentials.Generate();
        credentials.Save(_server.Paths.AdminCredentials, _server.Paths.Socket);
        _server.Credentials = credentials;
        _server.WriteInitFile(MariaDbInitScript.RenderForRestore(Secrets.GeneratePassword(), credentials));
        try
        {
            await _server.StartAsync(cancellationToken);
            await _server.WaitUntilAnsweringAsync(cancellationToken);
            _server.DeleteInitFile();
            if (restore.Recovery is { } replay)
                await RestoreStepAsync(restore, () => _recovery.ReplayAsync(replay, restore.Layers[0], cancellationToken));
            var start = total.Elapsed - restored;

            if (request.ReplicaOf is { } source)
                await FollowFromBackupAsync(source, restore, cancellationToken);
            else
                await ChangeAsync(connection => CreateKeepingRestored(connection, request), cancellationToken);
            MarkPrepared(request);
            LastPrepareTimings = new MariaDbPrepareTimings(restored, start, TimeSpan.Zero, total.Elapsed - restored - start, total.Elapsed);
            Log($"mariadb: prepared{(request.ReplicaOf is { } of ? $" as a replica of {of.SourceId}" : "")} from backup {restore.Layers[^1].BackupId}{(restore.Layers.Count > 1 ? $" ({restore.Layers.Count} layers)" : "")} in {total.Elapsed.TotalSeconds:0.000} s " +
                $"(restore {restored.TotalSeconds:0.000} s, start {start.TotalSeconds:0.000} s).");
        }
        catch
        {
            _server.DeleteInitFile();
            await _server.StopAsync();
            throw;
        }
    }

    /// <summary>Requested databases and users the backup already holds are kept; a requested user that exists gets the requested password and access.</summary>
    private static void CreateKeepingRestored(MariaDbConnection connection, PrepareRequest request)
    {
        MariaDbDatabases.Create(connection, [.. request.Databases.Where(d => !MariaDbDatabases.Exists(connection, d.Name))]);
        var existing = request.Users.Where(u => MariaDbUsers.Exists(connection, u.Name, u.Host)).ToList();
        MariaDbUsers.Create(connection, [.. request.Users.Except(existing)]);
        MariaDbUsers.ChangePasswords(connection, existing);
        foreach (var user in existing.Where(u => u.Databases is { Count: > 0 }))
            MariaDbUsers.GrantAccess(connection, new AccessRequest(user.Name, user.Host, user.Databases!));
    }

    protected override async Task StartServerAsync(CancellationToken cancellationToken)
    {
        await _server.StartAsync(cancellationToken);
        await _server.WaitUntilAnsweringAsync(cancellationToken);
    }

    private async Task ChangeAsync(Action<MariaDbConnection> change, CancellationToken cancellationToken) =>
        await ChangeAsync(connection =>
        {
            change(connection);
            return true;
        }, cancellationToken);

    private Task<T> ChangeAsync<T>(Func<MariaDbConnection, T> change, CancellationToken cancellationToken) =>
        OneChangeAtATimeAsync(() =>
        {
            RefuseOnReadOnlyMember();
            return ReadAsync(change, cancellationToken);
        }, cancellationToken);

    private Task<T> ReadAsync<T>(Func<MariaDbConnection, T> read, CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            try
            {
                using var connection = _server.OpenAdmin(_options.QueryTimeout);
                return read(connection);
            }
            catch (MariaDbException e) when (e.IsConnectionFailure)
            {
                throw new HandlerException(GuestErrorCodes.NotReady, $"MariaDB is not answering: {e.Message}");
            }
        }, cancellationToken);
}
