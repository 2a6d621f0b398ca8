using System.Diagnostics;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Conductor;
using Hoard.Contracts.Guest;
using Microsoft.Extensions.Logging;

namespace Hoard.Guest.Datastores;

/// <summary>
/// The lifecycle every datastore whose server runs as a supervised child of the guest shares: prepare, start,
/// stop and restart one at a time, the prepared marker, and the probe's reading of the supervisor. A subclass
/// supplies its server and its verbs and implements <see cref="IDatastoreManager"/> with these members.
/// </summary>
internal abstract class SupervisedDatastoreManager
{
    private readonly string _statePath;
    private readonly string _logName;
    private readonly string _displayName;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly SemaphoreSlim _changes = new(1, 1);
    private readonly SemaphoreSlim _backup = new(1, 1);
    private volatile bool _preparing;
    private volatile bool _restarting;

    /// <param name="paths">The instance's directories; the configuration state is kept in its etc directory.</param>
    /// <param name="logName">Prefix of log lines, e.g. "mariadb".</param>
    /// <param name="displayName">The datastore's name in messages to the caller, e.g. "MariaDB".</param>
    /// <param name="logger">Receives lifecycle lines (starts, crashes, timings); never a password or an RPC argument.</param>
    protected SupervisedDatastoreManager(InstancePaths paths, string logName, string displayName, ILogger? logger)
    {
        _statePath = Path.Combine(paths.Etc, ConfigurationState.FileName);
        _logName = logName;
        _displayName = displayName;
        Log = logger is null ? _ => { } : message => logger.LogInformation("{Message}", message);
    }

    public bool IsPrepared => File.Exists(PreparedMarker);

    public event Action<ServerCrash>? ServerCrashed;

    protected Action<string> Log { get; }

    protected abstract string PreparedMarker { get; }

    /// <summary>Null until the server has first been started.</summary>
    protected abstract ServerSupervisor? Supervisor { get; }

    /// <summary>How long after a start a server that does not answer yet counts as starting rather than blocked.</summary>
    protected abstract TimeSpan StartupGrace { get; }

    /// <summary>The one backup strategy (<see cref="BackupStrategies"/>) this datastore's backups and restores use.</summary>
    protected abstract string BackupStrategy { get; }

    /// <summary>The strategy takes incremental backups (a <see cref="CreateBackupRequest.Parent"/>) and restores chains of them.</summary>
    protected virtual bool BackupIncremental => false;

    /// <summary>Strategies this datastore takes besides <see cref="BackupStrategy"/> (the logical ones); full backups only.</summary>
    protected virtual IReadOnlyList<string> OtherBackupStrategies => [];

    public async Task PrepareAsync(PrepareRequest request, CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            if (IsPrepared)
            {
                Log($"{_logName}: already prepared; making sure it runs.");
                await StartServerAsync(cancellationToken);
                return;
            }

            _preparing = true;
            await PrepareServerAsync(request, cancellationToken);
        }
        finally
        {
            _preparing = false;
            _lifecycle.Release();
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            ThrowUnlessPrepared();
            await StartServerAsync(cancellationToken);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            await StopServerAsync();
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    public async Task RestartAsync(CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            ThrowUnlessPrepared();
            _restarting = true;
            await StopServerAsync();
            await StartServerAsync(cancellationToken);
        }
        finally
        {
            _restarting = false;
            _lifecycle.Release();
        }
    }

    public async Task<ServiceStatus> ProbeAsync(CancellationToken cancellationToken)
    {
        if (_preparing)
            return ServiceStatus.Building;
        if (_restarting)
            return ServiceStatus.Restarting;
        var supervisor = Supervisor;
        if (supervisor is not { IsSupervising: true })
            return IsPrepared ? ServiceStatus.Shutdown : ServiceStatus.New;
        if (!supervisor.IsRunning)
            return ServiceStatus.Crashed;
        try
        {
            await QueryProbeAsync(cancellationToken);
            return ServiceStatus.Healthy;
        }
        catch (Exception e) when (e is HandlerException || IsProbeFailure(e))
        {
            return supervisor.Uptime < StartupGrace ? ServiceStatus.Running : ServiceStatus.Blocked;
        }
    }

    /// <summary>The server's activity and resource use for a heartbeat; null unless it runs and answers.</summary>
    public async Task<DatastoreMetricsReport?> SampleMetricsAsync(CancellationToken cancellationToken)
    {
        if (_preparing || _restarting || Supervisor?.Pid is not { } pid)
            return null;
        try
        {
            var (connections, queriesTotal) = await QueryActivityAsync(cancellationToken);
            var usage = ProcessTreeUsage.Read(pid);
            return new DatastoreMetricsReport(connections, queriesTotal, usage?.MemoryBytes, usage?.CpuSeconds);
        }
        catch (Exception e) when (e is HandlerException || IsProbeFailure(e))
        {
            return null;
        }
    }

    public Task<UpdateOverridesResult> UpdateOverridesAsync(UpdateOverridesRequest request, CancellationToken cancellationToken) =>
        OneChangeAtATimeAsync(async () =>
        {
            ThrowUnlessPrepared();
            var before = ConfigurationState.Load(_statePath) ?? ConfigurationState.Defaults(request.MemoryMb);
            var after = new ConfigurationState(request.MemoryMb, new Dictionary<string, string>(request.Overrides, StringComparer.Ordinal));
            // Rendering validates: a bad key or value is refused here, before anything changes.
            var afterSettings = Settings(after);
            var change = ConfigurationChange.Between(before, Settings(before), after, afterSettings, request.RestartRequired);

            var outcome = await ApplyConfigurationAsync(change, cancellationToken);
            after.Save(_statePath);
            var result = new UpdateOverridesResult(
                [.. outcome.Applied.Distinct().Order(StringComparer.Ordinal)],
                [.. change.RestartRequired.Concat(outcome.PendingRestart).Distinct().Order(StringComparer.Ordinal)]);
            Log($"{_logName}: configuration updated ({result.Applied.Count} applied live, {result.PendingRestart.Count} waiting for a restart).");
            return result;
        }, cancellationToken);

    public Task<IReadOnlyDictionary<string, string>> GetConfigurationAsync(CancellationToken cancellationToken)
    {
        ThrowUnlessPrepared();
        var state = ConfigurationState.Load(_statePath) ?? throw new HandlerException(GuestErrorCodes.NotReady,
            $"The {_displayName} configuration of this instance was written by an earlier guest and is not recorded yet; the next configuration update records it.");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in Settings(state))
        {
            if (ShownValue(key, value) is { } shown && !IsHostPath(shown))
                values[key] = shown;
        }

        return Task.FromResult<IReadOnlyDictionary<string, string>>(values);
    }

    /// <summary>
    /// Backs the running server up and streams the result to hoard-server, one backup at a time. The server keeps
    /// running and answering throughout (its probe, and so its status, is not affected).
    /// </summary>
    public async Task<CreateBackupResult> CreateBackupAsync(CreateBackupRequest request, CancellationToken cancellationToken)
    {
        ThrowUnlessPrepared();
        RequireStrategy(request.Strategy);
        if (request.Parent is not null && !TakesIncrementals(request.Strategy))
            throw new HandlerException(GuestErrorCodes.NotSupported, $"{_displayName} backups ({request.Strategy}) are full backups only; take a full backup.");
        if (!await _backup.WaitAsync(TimeSpan.Zero, cancellationToken))
            throw new HandlerException(GuestErrorCodes.NotReady, $"A backup of this {_displayName} instance is already running.");
        try
        {
            var watch = Stopwatch.StartNew();
            Log($"{_logName}: backup {request.BackupId} started ({request.Strategy}{(request.Parent is { } p ? $", incremental on {p.BackupId}" : "")}).");
            var result = await BackUpServerAsync(request, cancellationToken);
            Log($"{_logName}: backup {request.BackupId} uploaded in {watch.Elapsed.TotalSeconds:0.000} s ({result.ToolBytes} bytes from the tool).");
            return result;
        }
        catch (Exception e)
        {
            Log($"{_logName}: backup {request.BackupId} failed: {e.Message}");
            throw;
        }
        finally
        {
            _backup.Release();
        }
    }

    /// <summary>Stops the server cleanly (the guest is going away; a new guest will start it again).</summary>
    public async ValueTask DisposeAsync()
    {
        await _lifecycle.WaitAsync();
        try
        {
            await DisposeServerAsync();
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Runs the strategy's tool against the running server and uploads its output; runs one at a time.</summary>
    protected abstract Task<CreateBackupResult> BackUpServerAsync(CreateBackupRequest request, CancellationToken cancellationToken);

    /// <summary>Installs, starts and secures a server that has never been prepared; runs under the lifecycle lock.</summary>
    protected abstract Task PrepareServerAsync(PrepareRequest request, CancellationToken cancellationToken);

    /// <summary>Starts the server and returns once it answers.</summary>
    protected abstract Task StartServerAsync(CancellationToken cancellationToken);

    protected abstract Task StopServerAsync();

    protected abstract ValueTask DisposeServerAsync();

    /// <summary>A real query the server must answer to count as healthy.</summary>
    protected abstract Task QueryProbeAsync(CancellationToken cancellationToken);

    /// <summary>True when the probe query failed because the server did not answer, rather than a bug.</summary>
    protected abstract bool IsProbeFailure(Exception e);

    /// <summary>Client connections open now (not counting the one asking) and statements or commands served since the server started.</summary>
    protected abstract Task<(long Connections, long QueriesTotal)> QueryActivityAsync(CancellationToken cancellationToken);

    /// <summary>The settings of the configuration file rendered from <paramref name="state"/>, in order; validates the overrides.</summary>
    protected abstract IReadOnlyList<KeyValuePair<string, string?>> Settings(ConfigurationState state);

    /// <summary>
    /// Applies <see cref="ConfigurationChange.Live"/> to the running server, all or none (a refusal undoes what was
    /// applied and throws <see cref="GuestErrorCodes.BadRequest"/> with the file unchanged), then replaces the
    /// configuration file with the one rendered from <see cref="ConfigurationChange.After"/>. Runs under the change lock.
    /// </summary>
    /// <returns>The live settings the server took now, and those it can only take at its next start.</returns>
    protected abstract Task<UpdateOverridesResult> ApplyConfigurationAsync(ConfigurationChange change, CancellationToken cancellationToken);

    /// <summary>A setting's value as the caller sees it (without the file's quoting), or null to leave it out.</summary>
    protected abstract string? ShownValue(string key, string? value);

    /// <summary>Records the configuration the prepare wrote, then marks the instance prepared; the last step of a prepare.</summary>
    protected void MarkPrepared(PrepareRequest request)
    {
        new ConfigurationState(request.MemoryMb, new Dictionary<string, string>(request.ConfigOverrides ?? new Dictionary<string, string>(), StringComparer.Ordinal))
            .Save(_statePath);
        File.WriteAllText(PreparedMarker, $"{TimeProvider.System.GetUtcNow():O}\n");
    }

    /// <summary>
    /// Checks a prepare's restore source before anything is installed: this datastore's strategy, one full backup (then its
    /// incrementals, where the strategy takes them).
    /// </summary>
    protected void ValidateRestore(RestoreSource? restore)
    {
        if (restore is null)
            return;
        RequireStrategy(restore.Strategy);
        if (restore.Layers.Count == 0)
            throw new HandlerException(GuestErrorCodes.BadRequest, "The restore names no backup.");
        if (restore.Layers.Count > 1 && !TakesIncrementals(restore.Strategy))
            throw new HandlerException(GuestErrorCodes.NotSupported,
                $"{_displayName} backups ({restore.Strategy}) are full backups only; restore one full backup.");
    }

    /// <summary>
    /// Runs the part of a prepare that fills the data directory from a backup; any failure becomes one that names the
    /// backup (and, when the volume filled up, says so).
    /// </summary>
    protected static async Task RestoreStepAsync(RestoreSource restore, Func<Task> step)
    {
        try
        {
            await step();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var why = e.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase)
                ? $"{e.Message} (the volume is too small for this backup's data)"
                : e.Message;
            throw new HandlerException(e is HandlerException h ? h.Code : GuestErrorCodes.Internal,
                $"Restoring backup {restore.Layers[^1].BackupId} failed: {why}");
        }
    }

    /// <summary>Given to the server's supervisor: passes its crash reports on to whoever listens.</summary>
    protected void OnServerCrash(ServerCrash crash) => ServerCrashed?.Invoke(crash);

    /// <summary>Changes run one at a time, so the checks a batch makes first still hold when it runs.</summary>
    protected async Task<T> OneChangeAtATimeAsync<T>(Func<Task<T>> change, CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken);
        try
        {
            return await change();
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>
    /// Runs a role change (attach, promote, demote) under the lifecycle lock: no prepare, start, stop or restart runs
    /// beside it, and none of them starts while it stops or restarts the server.
    /// </summary>
    protected async Task<T> UnderLifecycleAsync<T>(Func<Task<T>> change, CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            ThrowUnlessPrepared();
            return await change();
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Paths of this host mean nothing to the caller and tell more than it needs.</summary>
    private static bool IsHostPath(string value) => value.Trim().Trim('"', '\'').StartsWith('/');

    private void RequireStrategy(string strategy)
    {
        if (strategy != BackupStrategy && !OtherBackupStrategies.Contains(strategy))
            throw new HandlerException(GuestErrorCodes.NotSupported,
                $"{_displayName} instances are backed up and restored with " +
                $"{string.Join(" or ", OtherBackupStrategies.Append(BackupStrategy).Select(s => $"'{s}'"))}, not '{strategy}'.");
    }

    private bool TakesIncrementals(string strategy) => BackupIncremental && strategy == BackupStrategy;

    private void ThrowUnlessPrepared()
    {
        if (!IsPrepared)
            throw new HandlerException(GuestErrorCodes.NotReady, $"{_displayName} has not been prepared yet.");
    }
}
