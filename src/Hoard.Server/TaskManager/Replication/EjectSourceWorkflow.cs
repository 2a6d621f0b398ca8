using System.Text.Json.Nodes;
using Hoard.Contracts.Guest;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;

namespace Hoard.Server.TaskManager.Replication;

/// <summary>
/// EJECT (Trove's eject_replica_source): the source is gone. The replica whose data goes furthest is promoted and the
/// others follow it. The old source leaves the set: it keeps its data, which may be behind the new source's (and may
/// hold writes no replica received), and carries a fault that says so.
/// </summary>
internal sealed partial class EjectSourceWorkflow(InstanceStore instances, ReplicationSets sets, ILogger<EjectSourceWorkflow> logger) : IWorkflow
{
    public const string Name = "eject_replica_source";
    private const string ReplicasKey = "replicas";
    private const string ElectedKey = "elected";
    private const string AttachedKey = "attached";

    public string Type => Name;

    public IReadOnlyList<WorkflowStep> Steps =>
    [
        new("elect", TimeSpan.FromSeconds(30), ElectAsync),
        new("promote", ReplicationSets.RoleChangeDeadline, PromoteAsync),
        new("follow_new_source", ReplicationSets.RoleChangeDeadline * 2, FollowAsync),
        new("complete", TimeSpan.FromSeconds(30), CompleteAsync),
    ];

    /// <summary>The workflow runs on the old source; every member of the set is EJECT meanwhile.</summary>
    public static WorkflowRecord Create(InstanceRecord source, IReadOnlyList<InstanceRecord> replicas, DateTimeOffset now) => new()
    {
        Id = Guid.NewGuid().ToString(), Type = Name, InstanceId = source.Id, Created = now, Updated = now,
        Data = new JsonObject { [ReplicasKey] = ReplicationSets.Ids(replicas.Select(r => r.Id)) }.ToJsonString(),
    };

    private static IReadOnlyList<string> Members(WorkflowContext context) => [context.InstanceId, .. ReplicationSets.Ids(context, ReplicasKey)];

    /// <summary>The most advanced replica that answers now; equal positions go to the oldest replica.</summary>
    private async Task<StepOutcome> ElectAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        if (context.GetString(ElectedKey) is not null)
            return StepOutcome.Next;
        (string Id, ReplicationReport Report)? best = null;
        foreach (var replica in ReplicationSets.Ids(context, ReplicasKey))
        {
            ReplicationReport? report;
            try
            {
                report = await sets.Guest(replica, TimeSpan.FromSeconds(5)).GetReplicationStatusAsync(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogUnreachable(replica, e.Message);
                continue;
            }

            if (report is not null && (best is null || report.Position > best.Value.Report.Position))
                best = (replica, report);
        }

        if (best is not { } elected)
            return StepOutcome.WaitFor(TimeSpan.FromSeconds(1));
        context.Data[ElectedKey] = elected.Id;
        LogElected(elected.Id, elected.Report.PositionText);
        return StepOutcome.Next;
    }

    private async Task<StepOutcome> PromoteAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        try
        {
            await sets.Guest(context.RequireString(ElectedKey)).PromoteAsync(ReplicationSets.RoleChangeTimeout, cancellationToken);
            return StepOutcome.Next;
        }
        catch (Exception e) when (ReplicationSets.IsRefusal(e))
        {
            return StepOutcome.Fail($"Replica {context.GetString(ElectedKey)} could not be promoted: {e.Message}");
        }
    }

    private async Task<StepOutcome> FollowAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        var elected = context.RequireString(ElectedKey);
        var done = ReplicationSets.Ids(context, AttachedKey);
        foreach (var replica in ReplicationSets.Ids(context, ReplicasKey).Where(r => r != elected && !done.Contains(r)))
        {
            try
            {
                await sets.AttachAsync(elected, replica, cancellationToken);
            }
            catch (Exception e) when (ReplicationSets.IsRefusal(e))
            {
                return StepOutcome.Fail($"Replica {replica} could not follow the new source {elected}: {e.Message}");
            }

            ReplicationSets.AddId(context, AttachedKey, replica);
        }

        return StepOutcome.Next;
    }

    private async Task<StepOutcome> CompleteAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        var elected = context.RequireString(ElectedKey);
        var replicaOf = new Dictionary<string, string?> { [elected] = null, [context.InstanceId] = null };
        foreach (var replica in ReplicationSets.Ids(context, ReplicasKey).Where(r => r != elected))
            replicaOf[replica] = elected;
        await instances.AddFaultAsync(context.InstanceId,
            $"Ejected as replica source: instance {elected} is the source now. This instance left the replication set with the data it had; " +
            "writes it took that no replica received are not on the new source.", null, cancellationToken);
        await instances.FinishSetAsync(Members(context), InstanceTask.Ejecting, InstanceTask.None, replicaOf, cancellationToken);
        return StepOutcome.Next;
    }

    public async Task OnFailedAsync(WorkflowContext context, WorkflowFault fault, CancellationToken cancellationToken)
    {
        var elected = context.GetString(ElectedKey);
        await instances.AddFaultAsync(elected ?? context.InstanceId,
            $"Ejecting the replica source failed at step '{fault.Step}': {fault.Message}", fault.Details, cancellationToken);
        await instances.FinishSetAsync(Members(context), InstanceTask.Ejecting, InstanceTask.EjectionError, null, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Eject: replica {InstanceId} did not answer ({Reason}); not a candidate")]
    private partial void LogUnreachable(string instanceId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Eject: replica {InstanceId} elected at position {Position}")]
    private partial void LogElected(string instanceId, string position);
}
