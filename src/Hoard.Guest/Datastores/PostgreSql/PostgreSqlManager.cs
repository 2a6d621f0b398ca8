using System.Diagnostics;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Hoard.Guest.Datastores.PostgreSql;

/// <summary>How long each step of the last prepare took.</summary>
internal sealed record PostgreSqlPrepareTimings(TimeSpan DataDirectory, TimeSpan Start, TimeSpan Secure, TimeSpan CreateObjects, TimeSpan Total);

/// <summary>
/// PostgreSQL behind Trove's guest verbs. The postmaster runs as a supervised child of the guest; the guest talks
/// to it with Npgsql over its unix socket as <c>os_admin</c>, one short unpooled connection per operation.
/// </summary>
internal sealed partial class PostgreSqlManager : SupervisedDatastoreManager, IDatastoreManager
{
    private readonly GuestConfig _config;
    private readonly PostgreSqlOptions _options;
    private readonly PostgreSqlServer _server;
    private readonly PostgreSqlBackup _backup;
    private readonly PostgreSqlDumpBackup _dump;
    private readonly PostgreSqlWalArchive _walArchive;
    private readonly PostgreSqlPointInTimeRecovery _recovery;
    private readonly PostgreSqlReplication _replication;

    /// <param name="logger">Receives lifecycle lines (starts, crashes, timings); never a password or an RPC argument.</param>
    public PostgreSqlManager(GuestConfig config, ILogger? logger = null, PostgreSqlOptions? options = null)
        : base(config.Paths, "postgresql", "PostgreSQL", logger)
    {
        _config = config;
        _options = options ?? new PostgreSqlOptions();
        _server = new PostgreSqlServer(config, _options, Log, OnServerCrash);
        _walArchive = new PostgreSqlWalArchive(config, _server);
        _backup = new PostgreSqlBackup(config, _options, _server, _walArchive);
        _dump = new PostgreSqlDumpBackup(config, _options, _server);
        _recovery = new PostgreSqlPointInTimeRecovery(_options, _server, Log);
        _replication = new PostgreSqlReplication(config, _options, _server);
    }

    public PostgreSqlPrepareTimings? LastPrepareTimings { get; private set; }

    internal PostgreSqlServer Server => _server;

    protected override string PreparedMarker => _server.Paths.PreparedMarker;

    protected override ServerSupervisor? Supervisor => _server.Supervisor;

    protected override TimeSpan StartupGrace => _options.StartupGrace;

    protected override string BackupStrategy => BackupStrategies.PgBaseBackup;

    protected override IReadOnlyList<string> OtherBackupStrategies => [BackupStrategies.PgDump];

    public Task CreateDatabasesAsync(IReadOnlyList<DatabaseSpec> databases, CancellationToken cancellationToken) =>
        ChangeAsync(admin => PostgreSqlDatabases.CreateAsync(admin, databases), cancellationToken);

    public async Task<IReadOnlyList<DatabaseSpec>> ListDatabasesAsync(CancellationToken cancellationToken) =>
        await ReadAsync(PostgreSqlDatabases.ListAsync, cancellationToken);

    public Task DeleteDatabaseAsync(string name, CancellationToken cancellationToken) =>
        ChangeAsync(admin => PostgreSqlDatabases.DeleteAsync(admin, name), cancellationToken);

    public Task CreateUsersAsync(IReadOnlyList<UserSpec> users, CancellationToken cancellationToken) =>
        ChangeAsync(admin => PostgreSqlUsers.CreateAsync(admin, users), cancellationToken);

    public async Task<IReadOnlyList<UserInfo>> ListUsersAsync(CancellationToken cancellationToken) =>
        await ReadAsync(PostgreSqlUsers.ListAsync, cancellationToken);

    public Task<UserInfo> GetUserAsync(UserRef user, CancellationToken cancellationToken) =>
        ReadAsync(admin => PostgreSqlUsers.GetAsync(admin, user), cancellationToken);

    public Task UpdateUserAttributesAsync(UserAttributes attributes, CancellationToken cancellationToken) =>
        ChangeAsync(admin => PostgreSqlUsers.UpdateAttributesAsync(admin, attributes), cancellationToken);

    public Task ChangePasswordsAsync(IReadOnlyList<UserSpec> users, CancellationToken cancellationToken) =>
        ChangeAsync(admin => PostgreSqlUsers.ChangePasswordsAsync(admin, users), cancellationToken);

    public Task DeleteUserAsync(UserRef user, CancellationToken cancellationToken) =>
        ChangeAsync(admin => PostgreSqlUsers.DeleteAsync(admin, user), cancellationToken);

    public Task GrantAccessAsync(AccessRequest request, CancellationToken cancellationToken) =>
        ChangeAsync(admin => PostgreSqlUsers.GrantAccessAsync(admin, request), cancellationToken);

    public Task RevokeAccessAsync(UserRef user, string database, CancellationToken cancellationToken) =>
        ChangeAsync(admin => PostgreSqlUsers.RevokeAccessAsync(admin, user, database), cancellationToken);

    public async Task<IReadOnlyList<string>> ListAccessAsync(UserRef user, CancellationToken cancellationToken) =>
        await ReadAsync(admin => PostgreSqlUsers.ListAccessAsync(admin, user), cancellationToken);

    public Task<RootCredentials> EnableRootAsync(string? password, CancellationToken cancellationToken) =>
        ChangeAsync(admin => PostgreSqlRoot.EnableAsync(admin, password), cancellationToken);

    public Task DisableRootAsync(CancellationToken cancellationToken) =>
        ChangeAsync(PostgreSqlRoot.DisableAsync, cancellationToken);

    public Task<bool> IsRootEnabledAsync(CancellationToken cancellationToken) =>
        ReadAsync(PostgreSqlRoot.IsEnabledAsync, cancellationToken);

    protected override IReadOnlyList<KeyValuePair<string, string?>> Settings(ConfigurationState state) =>
        [.. PostgreSqlConfigTemplate.Settings(_config, state.MemoryMb, state.Overrides).Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))];

    protected override async Task<UpdateOverridesResult> ApplyConfigurationAsync(ConfigurationChange change, CancellationToken cancellationToken)
    {
        var before = PostgreSqlConfigTemplate.Settings(_config, change.Before.MemoryMb, change.Before.Overrides);
        var after = PostgreSqlConfigTemplate.Settings(_config, change.After.MemoryMb, change.After.Overrides);
        var finalConf = PostgreSqlConfigTemplate.Render(after);
        await _server.CheckConfigAsync(finalConf, cancellationToken);
        // A reload takes the whole file: restart-required changes are held back from the file it reads now.
        var reloadConf = PostgreSqlConfigTemplate.Render(ConfigurationChange.Holding(before, after, change.RestartRequired));
        return await ReadAsync(async admin =>
        {
            var result = await PostgreSqlConfiguration.ApplyAsync(_server, admin, change, finalConf, reloadConf, _options.ReloadTimeout);
            // A synchronous source's synchronous_commit follows the group's only where that is at least as strong.
            await _replication.KeepSynchronousCurrentAsync(admin);
            return result;
        }, cancellationToken);
    }

    // The archive command is the guest's and names host paths.
    protected override string? ShownValue(string key, string? value) =>
        value is null || key == "archive_command" ? null : PostgreSqlConfigTemplate.Unquote(value);

    protected override async Task QueryProbeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _server.OpenAdminAsync("postgres", _options.ProbeTimeout, cancellationToken);
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        await command.ExecuteScalarAsync(cancellationToken);
    }

    protected override bool IsProbeFailure(Exception e) => e is NpgsqlException or TimeoutException;

    protected override async Task<(long Connections, long QueriesTotal)> QueryActivityAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _server.OpenAdminAsync("postgres", _options.ProbeTimeout, cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()), " +
            "(SELECT COALESCE(sum(xact_commit + xact_rollback), 0)::bigint FROM pg_stat_database)", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    protected override Task<CreateBackupResult> BackUpServerAsync(CreateBackupRequest request, CancellationToken cancellationToken) =>
        request.Strategy == BackupStrategies.PgDump
            ? _dump.CreateAsync(request, cancellationToken)
            : _backup.CreateAsync(request, cancellationToken);

    protected override Task StopServerAsync() => _server.StopAsync();

    protected override ValueTask DisposeServerAsync() => _server.DisposeAsync();

    protected override async Task PrepareServerAsync(PrepareRequest request, CancellationToken cancellationToken)
    {
        // Everything a caller could get wrong is checked before anything is installed.
        var postgresqlConf = PostgreSqlConfigTemplate.Render(_config, request.MemoryMb, request.ConfigOverrides);
        PostgreSqlDatabases.Validate(request.Databases);
        PostgreSqlUsers.Validate(request.Users);
        ValidateRestore(request.Restore);
        var missing = request.Users.SelectMany(u => u.Databases ?? []).FirstOrDefault(name => request.Databases.All(d => d.Name != name));
        if (missing is not null)
            throw PostgreSqlDatabases.NotFound(missing);
        if (request.ReplicaOf is { } source)
        {
            if (request.Restore is not null || request.Databases.Count > 0 || request.Users.Count > 0)
                throw new HandlerException(GuestErrorCodes.BadRequest, "A replica copies its source: its prepare takes no backup, databases or users.");
            await PrepareReplicaAsync(request, source, postgresqlConf, cancellationToken);
            return;
        }

        if (request.Restore is { Strategy: BackupStrategies.PgDump, Recovery: not null })
            throw new HandlerException(GuestErrorCodes.BadRequest, "A logical backup (pg_dump) holds no WAL position: it cannot start a restore to a point in time.");
        // A logical backup is replayed into a cluster prepared as any new one is.
        if (request.Restore is { Strategy: not BackupStrategies.PgDump } restore)
        {
            await PrepareRestoredAsync(request, restore, postgresqlConf, cancellationToken);
            return;
        }

        var total = Stopwatch.StartNew();
        await _server.StopAsync();
        await _server.InstallAsync(postgresqlConf, restore: null, cancellationToken);
        if (request.WalArchive is not null)
            _walArchive.EnsureSpool();
        var dataDirectory = total.Elapsed;

        var credentials = PostgreSqlAdminCredentials.Generate();
        credentials.Save(_server.Paths.AdminCredentials);
        _server.Credentials = credentials;
        try
        {
            await _server.StartAsync(cancellationToken);
            await _server.WaitUntilAnsweringAsync(asPostgres: true, cancellationToken);
            var start = total.Elapsed - dataDirectory;

            await SecureAsync(credentials, restored: false, cancellationToken);
            var secure = total.Elapsed - dataDirectory - start;

            if (request.Restore is { } dump)
            {
                await RestoreStepAsync(dump, () => _dump.RestoreAsync(dump.Layers[0], cancellationToken));
                await ChangeAsync(admin => CreateKeepingRestoredAsync(admin, request), cancellationToken);
            }
            else
            {
                await ChangeAsync(async admin =>
                {
                    await PostgreSqlDatabases.CreateAsync(admin, request.Databases);
                    await PostgreSqlUsers.CreateAsync(admin, request.Users);
                }, cancellationToken);
            }

            MarkPrepared(request);
            LastPrepareTimings = new PostgreSqlPrepareTimings(dataDirectory, start, secure, total.Elapsed - dataDirectory - start - secure, total.Elapsed);
            Log($"postgresql: prepared{(request.Restore is { } from ? $" from backup {from.Layers[0].BackupId} ({from.Strategy})" : "")} in {total.Elapsed.TotalSeconds:0.000} s (datadir {dataDirectory.TotalSeconds:0.000} s, start {start.TotalSeconds:0.000} s, secure {secure.TotalSeconds:0.000} s).");
        }
        catch
        {
            await _server.StopAsync();
            throw;
        }
    }

    /// <summary>
    /// A prepare from a backup: the restored cluster keeps its databases, roles and grants (the first start recovers
    /// it from the WAL in the backup); the guest takes it over by giving its <c>os_admin</c> a new password, as
    /// <c>postgres</c> by peer identity, which the guest's own pg_hba.conf allows. Requested databases and users the
    /// backup already holds are kept; a requested user that exists gets the requested password and access.
    /// </summary>
    private async Task PrepareRestoredAsync(PrepareRequest request, RestoreSource restore, string postgresqlConf, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        await _server.StopAsync();
        await RestoreStepAsync(restore, () =>
            _server.InstallAsync(postgresqlConf, dataDirectory => _backup.RestoreAsync(restore, dataDirectory, cancellationToken), cancellationToken));
        if (restore.Recovery is { } recovery)
            await RestoreStepAsync(restore, () => _recovery.ArrangeAsync(recovery, cancellationToken));
        if (request.WalArchive is not null)
            _walArchive.EnsureSpool();
        var restored = total.Elapsed;

        var credentials = PostgreSqlAdminCredentials.Generate();
        credentials.Save(_server.Paths.AdminCredentials);
        _server.Credentials = credentials;
        try
        {
            await _server.StartAsync(cancellationToken);
            await _server.WaitUntilAnsweringAsync(asPostgres: true, cancellationToken);
            if (restore.Recovery is not null)
                await RestoreStepAsync(restore, () => _recovery.AwaitPromotionAsync(cancellationToken));
            var start = total.Elapsed - restored;

            await SecureAsync(credentials, restored: true, cancellationToken);
            var secure = total.Elapsed - restored - start;

            await ChangeAsync(admin => CreateKeepingRestoredAsync(admin, request), cancellationToken);
            MarkPrepared(request);
            LastPrepareTimings = new PostgreSqlPrepareTimings(restored, start, secure, total.Elapsed - restored - start - secure, total.Elapsed);
            Log($"postgresql: prepared from backup {restore.Layers[0].BackupId} in {total.Elapsed.TotalSeconds:0.000} s " +
                $"(restore {restored.TotalSeconds:0.000} s, start and recovery {start.TotalSeconds:0.000} s).");
        }
        catch
        {
            await _server.StopAsync();
            throw;
        }
    }

    /// <summary>
    /// Creates the guest's superuser (as <c>postgres</c>, by peer identity; in restored data, where it exists with
    /// the source's password, gives it its new one), gives <c>postgres</c> a password nobody is told, keeps users out of
    /// the maintenance databases, and checks that the authentication rules in force are the generated ones: no
    /// <c>trust</c>, no line the server could not parse.
    /// </summary>
    private async Task SecureAsync(PostgreSqlAdminCredentials credentials, bool restored, CancellationToken cancellationToken)
    {
        var attributes = $"WITH LOGIN SUPERUSER CREATEDB CREATEROLE REPLICATION PASSWORD {PostgreSqlNames.QuoteLiteral(credentials.Password)}";
        await _server.BootstrapAsync(restored
            ? $"DO $$BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{credentials.User}') THEN ALTER ROLE {credentials.User} {attributes}; " +
              $"ELSE CREATE ROLE {credentials.User} {attributes}; END IF; END$$"
            : $"CREATE ROLE {credentials.User} {attributes}",
            cancellationToken);
        await ChangeAsync(async admin =>
        {
            await admin.ExecuteAsync($"ALTER ROLE postgres PASSWORD {PostgreSqlNames.QuoteLiteral(Secrets.GeneratePassword())}");
            await admin.ExecuteAsync("REVOKE ALL ON DATABASE postgres FROM PUBLIC");
            await admin.ExecuteAsync("REVOKE ALL ON DATABASE template1 FROM PUBLIC");
            var unsafeRules = await admin.QueryAsync("SELECT line_number FROM pg_hba_file_rules WHERE auth_method = 'trust' OR error IS NOT NULL");
            if (unsafeRules.Count > 0)
                throw new HandlerException(GuestErrorCodes.Internal,
                    $"PostgreSQL was not locked down: pg_hba.conf lines {string.Join(", ", unsafeRules.Select(r => r[0]))} trust or do not parse.");
        }, cancellationToken);
    }

    protected override async Task StartServerAsync(CancellationToken cancellationToken)
    {
        await _server.StartAsync(cancellationToken);
        await _server.WaitUntilAnsweringAsync(asPostgres: false, cancellationToken);
    }

    /// <summary>Requested databases and users the backup already holds are kept; a requested user that exists gets the requested password and access.</summary>
    private static async Task CreateKeepingRestoredAsync(PostgreSqlAdmin admin, PrepareRequest request)
    {
        var databases = new List<DatabaseSpec>();
        foreach (var database in request.Databases)
        {
            if (!await PostgreSqlDatabases.ExistsAsync(admin, database.Name))
                databases.Add(database);
        }

        await PostgreSqlDatabases.CreateAsync(admin, databases);
        var existing = new List<UserSpec>();
        foreach (var user in request.Users)
        {
            if (await PostgreSqlUsers.ExistsAsync(admin, user.Name))
                existing.Add(user);
        }

        await PostgreSqlUsers.CreateAsync(admin, [.. request.Users.Except(existing)]);
        await PostgreSqlUsers.ChangePasswordsAsync(admin, existing);
        foreach (var user in existing.Where(u => u.Databases is { Count: > 0 }))
            await PostgreSqlUsers.GrantAccessAsync(admin, new AccessRequest(user.Name, user.Host, user.Databases!));
    }

    private Task ChangeAsync(Func<PostgreSqlAdmin, Task> change, CancellationToken cancellationToken) =>
        ChangeAsync(async admin =>
        {
            await change(admin);
            return true;
        }, cancellationToken);

    private Task<T> ChangeAsync<T>(Func<PostgreSqlAdmin, Task<T>> change, CancellationToken cancellationToken) =>
        OneChangeAtATimeAsync(() => ReadAsync(change, cancellationToken), cancellationToken);

    private async Task<T> ReadAsync<T>(Func<PostgreSqlAdmin, Task<T>> read, CancellationToken cancellationToken)
    {
        try
        {
            await using var admin = await PostgreSqlAdmin.OpenAsync(_server, _options.QueryTimeout, cancellationToken);
            return await read(admin);
        }
        catch (NpgsqlException e) when (e is not PostgresException || IsConnectionFailure((PostgresException)e))
        {
            throw new HandlerException(GuestErrorCodes.NotReady, $"PostgreSQL is not answering: {e.Message}");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ReadOnlySqlTransaction)
        {
            throw new HandlerException(GuestErrorCodes.BadRequest,
                "This instance is read-only (a replica, or a source demoted for a switchover): make the change on its source.");
        }
    }

    /// <summary>The server is starting, stopping or has gone (class 57 and 08), rather than refusing a statement.</summary>
    private static bool IsConnectionFailure(PostgresException e) =>
        e.SqlState.StartsWith("57", StringComparison.Ordinal) || e.SqlState.StartsWith("08", StringComparison.Ordinal);
}
