using Hoard.Contracts.Bus;
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
    private readonly string _logName;
    private readonly string _displayName;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly SemaphoreSlim _changes = new(1, 1);
    private volatile bool _preparing;
    private volatile bool _restarting;

    /// <param name="logName">Prefix of log lines, e.g. "mariadb".</param>
    /// <param name="displayName">The datastore's name in messages to the caller, e.g. "MariaDB".</param>
    /// <param name="logger">Receives lifecycle lines (starts, crashes, timings); never a password or an RPC argument.</param>
    protected SupervisedDatastoreManager(string logName, string displayName, ILogger? logger)
    {
        _logName = logName;
        _displayName = displayName;
        Log = logger is null ? _ => { } : message => logger.LogInformation("{Message}", message);
    }

    public bool IsPrepared => File.Exists(PreparedMarker);

    protected Action<string> Log { get; }

    protected abstract string PreparedMarker { get; }

    /// <summary>Null until the server has first been started.</summary>
    protected abstract ServerSupervisor? Supervisor { get; }

    /// <summary>How long after a start a server that does not answer yet counts as starting rather than blocked.</summary>
    protected abstract TimeSpan StartupGrace { get; }

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

    private void ThrowUnlessPrepared()
    {
        if (!IsPrepared)
            throw new HandlerException(GuestErrorCodes.NotReady, $"{_displayName} has not been prepared yet.");
    }
}
