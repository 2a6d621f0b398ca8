using System.Text.Json;
using Hoard.Contracts;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Conductor;
using Hoard.Contracts.Guest;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Hoard.Server.Observability;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Conductor;

/// <summary>
/// The conductor role: the only receiver of guest reports. Drops reports older than the newest one seen,
/// refuses reports a guest sends about another instance, records the faults they report (<see cref="GuestFaults"/>), and
/// wakes the workflow waiting for a status change (in this process or, through the relay, the task manager driving it).
/// Silent guests are marked SHUTDOWN by <see cref="SilentGuestSweeper"/>.
/// </summary>
internal sealed partial class ConductorService(
    IMessageBus bus,
    InstanceStore instances,
    ConductorStore lastSeen,
    WorkflowEngine engine,
    InstanceMetricsHistory metrics,
    EventStore events,
    TimeProvider time,
    ILogger<ConductorService> logger) : BackgroundService
{
    private readonly GuestFaults _faults = new(instances, lastSeen);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Several conductors compete for the topic: each report goes to one, and TryAdvanceAsync drops one older than the last.
        await using var subscription = await bus.SubscribeAsync(BusTopics.Conductor, HandleAsync, stoppingToken);
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, time, stoppingToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<JsonElement?> HandleAsync(BusEnvelope message, CancellationToken cancellationToken)
    {
        if (message.Method != ConductorMethods.Heartbeat)
        {
            throw new HandlerException("NotSupported", $"The conductor does not know '{message.Method}'.");
        }

        var heartbeat = HoardJson.FromElement<HeartbeatPayload>(message.Args);
        if (message.Sender is not null && message.Sender != heartbeat.InstanceId)
        {
            LogImpersonation(message.Sender, heartbeat.InstanceId);
            return null;
        }

        if (!await lastSeen.TryAdvanceAsync(heartbeat.InstanceId, message.Method, message.Sent, cancellationToken))
        {
            return null;
        }

        var instance = await instances.GetAsync(heartbeat.InstanceId, cancellationToken);
        if (instance is null)
        {
            return null;
        }

        await _faults.RecordAsync(instance, heartbeat, cancellationToken);
        var replication = heartbeat.Replication is { } report ? HoardJson.ToElement(report).GetRawText() : null;
        await instances.RecordHeartbeatAsync(instance.Id, heartbeat.Status, replication, message.Sent, cancellationToken);
        metrics.Record(instance.Id, message.Sent, heartbeat);
        if (instance.ServiceStatus != heartbeat.Status)
        {
            engine.Wake(instance.Id);
            await events.AddAsync(instance.ProjectId, instance.Id, EventStore.StatusChanged,
                $"Service status {heartbeat.Status} (was {instance.ServiceStatus})", null, cancellationToken);
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Guest {Sender} reported about instance {InstanceId}; ignored")]
    private partial void LogImpersonation(string sender, string instanceId);
}
