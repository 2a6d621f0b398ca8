using Hoard.Persistence;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Hosting;

/// <summary>
/// Runs the background job <typeparamref name="TJob"/> in one process at a time among all that share the state DB: the
/// process holding the lease named after the job runs it and renews the lease every third of its length; the others wait
/// and take over once it has expired. A holder that cannot renew stops the job before its lease runs out by its own clock,
/// so two never run it together (clocks kept in step by NTP). With one process this is the job, started a moment later.
/// </summary>
/// <remarks>
/// For jobs that must not act twice at once: the failover monitor (two would promote two replicas), the reconcilers and
/// schedulers. A fresh instance of the job runs for each term, so nothing of a previous term's state carries over.
/// </remarks>
internal sealed partial class LeaderOnlyService<TJob>(
    IServiceProvider services,
    LeaseStore leases,
    ProcessIdentity identity,
    IOptions<HoardOptions> options,
    TimeProvider time,
    ILogger<LeaderOnlyService<TJob>> logger) : BackgroundService
    where TJob : class, IHostedService
{
    private static readonly string LeaseName = "job:" + typeof(TJob).Name;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lease = TimeSpan.FromSeconds(options.Value.LeaseSeconds);
        var interval = lease / 3;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (await TryAcquireAsync(lease, stoppingToken) is { } validUntil)
            {
                await RunTermAsync(lease, validUntil, stoppingToken);
            }

            try
            {
                await Task.Delay(interval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task RunTermAsync(TimeSpan lease, DateTimeOffset validUntil, CancellationToken stoppingToken)
    {
        LogLeading(LeaseName, identity.Id);
        var job = ActivatorUtilities.CreateInstance<TJob>(services);
        await job.StartAsync(stoppingToken);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(lease / 3, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                if (await TryAcquireAsync(lease, stoppingToken) is { } renewed)
                {
                    validUntil = renewed;
                }
                else if (!stoppingToken.IsCancellationRequested && (await HolderAsync(stoppingToken) is not null || validUntil <= time.GetUtcNow()))
                {
                    LogLostLease(LeaseName);
                    return;
                }
            }
        }
        finally
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await job.StopAsync(deadline.Token);
            (job as IDisposable)?.Dispose();
            if (stoppingToken.IsCancellationRequested)
            {
                await ReleaseAsync();
            }
        }
    }

    /// <summary>Takes or renews the lease; null when another process holds it or the state DB did not answer.</summary>
    private async Task<DateTimeOffset?> TryAcquireAsync(TimeSpan lease, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        try
        {
            return await leases.TryAcquireAsync(LeaseName, identity.Id, now, now + lease, cancellationToken) ? now + lease : null;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            LogLeaseFailed(e, LeaseName);
            return null;
        }
    }

    /// <summary>Another process now holding the lease (null when it is this one's, nobody's, or unknown).</summary>
    private async Task<string?> HolderAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await leases.GetAsync(LeaseName, cancellationToken) is { } held && held.Owner != identity.Id ? held.Owner : null;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            LogLeaseFailed(e, LeaseName);
            return null;
        }
    }

    private async Task ReleaseAsync()
    {
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await leases.ReleaseAsync(LeaseName, identity.Id, deadline.Token);
        }
        catch (Exception e)
        {
            LogLeaseFailed(e, LeaseName);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Running {Lease} in this process ({Owner})")]
    private partial void LogLeading(string lease, string owner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the lease {Lease}; stopped the job here")]
    private partial void LogLostLease(string lease);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Taking or renewing the lease {Lease} failed")]
    private partial void LogLeaseFailed(Exception e, string lease);
}
