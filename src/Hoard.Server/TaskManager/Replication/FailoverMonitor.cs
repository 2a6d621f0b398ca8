using Hoard.Contracts.Guest;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Hoard.Server.TaskManager.Replication;

/// <summary>
/// Automatic failover (beyond Trove): four times a second, every source with replicas whose guest has not reported its
/// server serving for FailoverAfterSeconds is handed to <see cref="EjectSourceWorkflow"/> (fence, promote the most
/// advanced replica, re-point the others, rebuild the old source as a replica). Silence is counted from this process's
/// start at the earliest, so a restart of hoard-server itself never looks like every source failing at once. Before it
/// acts, it asks the source's guest directly (one second; no need when its process is gone): a source whose reports were only late, and whose server
/// answers, is left alone. Nothing is started while no replica is serving (there would be nothing to promote).
/// </summary>
internal sealed partial class FailoverMonitor(
    InstanceStore instances,
    ReplicationSets sets,
    Hoard.Core.Compute.IComputeProvider compute,
    WorkflowEngine engine,
    IOptions<HoardOptions> options,
    TimeProvider time,
    ILogger<FailoverMonitor> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private readonly HashSet<string> _waitingForReplica = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.AutomaticFailover)
            return;
        var started = time.GetUtcNow();
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await CheckAsync(started, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogCheckFailed(e);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task CheckAsync(DateTimeOffset processStarted, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var after = TimeSpan.FromSeconds(options.Value.FailoverAfterSeconds);
        foreach (var source in await instances.ListSourcesWithReplicasAsync(cancellationToken))
        {
            if (source.Task != InstanceTask.None || source.ServerStatus != ServerStatus.Active)
                continue;
            var lastServing = Max(source.LastHealthy ?? source.Created, processStarted);
            if (now - lastServing < after)
            {
                _waitingForReplica.Remove(source.Id);
                continue;
            }

            var replicas = await instances.ListReplicasAsync(source.Id, cancellationToken);
            var serving = replicas.Where(r => r.Task == InstanceTask.None && r.ServiceStatus is ServiceStatus.Healthy or ServiceStatus.Running &&
                                              now - (r.LastHealthy ?? r.Created) < after).ToList();
            if (serving.Count == 0)
            {
                if (_waitingForReplica.Add(source.Id))
                    LogNoReplica(source.Id);
                continue;
            }

            // Late reports are not a dead source: one that answers, with its server serving, stays.
            if (await compute.IsGuestRunningAsync(source.Id, cancellationToken) && await AnswersAsync(source.Id, cancellationToken))
            {
                LogLateButServing(source.Id);
                continue;
            }

            var reason = $"the source reported no serving database server for {(now - (source.LastHealthy ?? source.Created)).TotalSeconds:0.0} s " +
                         $"(FailoverAfterSeconds {after.TotalSeconds:0.#}; last status {InstanceStatusView.ServiceApiName(source.ServiceStatus)})";
            var members = new List<string> { source.Id };
            members.AddRange(serving.Select(r => r.Id));
            if (await instances.TryBeginSetAsync(members, InstanceTask.Ejecting,
                    EjectSourceWorkflow.Create(source, serving, now, automatic: true, reason, detected: source.LastHealthy), [InstanceTask.None], cancellationToken))
            {
                LogFailingOver(source.Id, reason);
                engine.Poke();
            }
        }
    }

    /// <summary>True when the source's guest answers within a second and its server reports its replication state.</summary>
    private async Task<bool> AnswersAsync(string sourceId, CancellationToken cancellationToken)
    {
        try
        {
            return await sets.Guest(sourceId, TimeSpan.FromSeconds(1)).GetReplicationStatusAsync(cancellationToken) is not null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return false;
        }
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Automatic failover of source {SourceId}: {Reason}")]
    private partial void LogFailingOver(string sourceId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Source {SourceId} is not serving, but none of its replicas is: no failover until one is")]
    private partial void LogNoReplica(string sourceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Source {SourceId} reported late but answers with its server serving: no failover")]
    private partial void LogLateButServing(string sourceId);

    [LoggerMessage(Level = LogLevel.Error, Message = "The failover check failed")]
    private partial void LogCheckFailed(Exception e);
}
