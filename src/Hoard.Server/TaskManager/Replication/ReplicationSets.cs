using System.Text.Json.Nodes;
using Hoard.Contracts;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Messaging.Clients;
using Hoard.Persistence;

namespace Hoard.Server.TaskManager.Replication;

/// <summary>What the replication workflows share: the guests' role-change calls and how a member is pointed at a source.</summary>
internal sealed partial class ReplicationSets(IMessageBus bus, InstanceStore instances, ReplicationSetStore setStore, ILogger<ReplicationSets> logger)
{
    /// <summary>A role change may restart the server (PostgreSQL): as long as a restart may take.</summary>
    public static readonly TimeSpan RoleChangeTimeout = TimeSpan.FromSeconds(90);

    /// <summary>A step that makes role-change calls gets their timeout and room to spare.</summary>
    public static readonly TimeSpan RoleChangeDeadline = RoleChangeTimeout + TimeSpan.FromSeconds(30);

    public GuestClient Guest(string instanceId, TimeSpan? timeout = null) => new(bus, instanceId, timeout);

    /// <summary>
    /// Makes <paramref name="memberId"/> follow <paramref name="sourceId"/>: the source prepares for it (in the set's
    /// mode, synchronous or not), then the member attaches.
    /// </summary>
    public async Task AttachAsync(string sourceId, string memberId, CancellationToken cancellationToken)
    {
        var context = await ContextAsync(sourceId, memberId, cancellationToken);
        await Guest(memberId).AttachReplicaAsync(context, RoleChangeTimeout, cancellationToken);
    }

    /// <summary>
    /// Makes each of <paramref name="members"/> follow <paramref name="sourceId"/>, each once (those done are kept under
    /// <paramref name="doneKey"/>, should the step run again); the first refusal fails the step.
    /// </summary>
    public async Task<StepOutcome> AttachEachAsync(WorkflowContext context, string doneKey, string sourceId, IEnumerable<string> members,
        CancellationToken cancellationToken)
    {
        var done = Ids(context, doneKey);
        foreach (var member in members.Where(m => !done.Contains(m)))
        {
            try
            {
                await AttachAsync(sourceId, member, cancellationToken);
            }
            catch (Exception e) when (IsRefusal(e))
            {
                return StepOutcome.Fail($"Instance {member} could not follow {sourceId}: {e.Message}");
            }

            AddId(context, doneKey, member);
        }

        return StepOutcome.Next;
    }

    /// <summary>The source's context for the replica, in the mode of the source's set.</summary>
    public async Task<ReplicaContext> ContextAsync(string sourceId, string replicaId, CancellationToken cancellationToken)
    {
        var synchronous = await setStore.IsSynchronousAsync((await instances.GetAsync(sourceId, cancellationToken))?.ReplicationSet, cancellationToken);
        return await Guest(sourceId).GetReplicaContextAsync(replicaId, synchronous, cancellationToken);
    }

    /// <summary>Best effort: a source that cannot be reached keeps what it held for the replica until it is told again.</summary>
    public async Task ForgetAsync(string sourceId, string replicaId, CancellationToken cancellationToken)
    {
        try
        {
            await Guest(sourceId, TimeSpan.FromSeconds(10)).ForgetReplicaAsync(replicaId, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogForgetFailed(e, sourceId, replicaId);
        }
    }

    /// <summary>The replication state the instance's guest last reported, or null.</summary>
    public static ReplicationReport? LastReport(InstanceRecord instance) =>
        instance.Replication is { } json ? System.Text.Json.JsonSerializer.Deserialize(json, HoardJson.Default.ReplicationReport) : null;

    /// <summary>A guest's refusal is final; anything else (a timeout, a restart) is worth another try within the deadline.</summary>
    public static bool IsRefusal(Exception e) =>
        e is RemoteCallException { Code: GuestErrorCodes.BadRequest or GuestErrorCodes.NotSupported or GuestErrorCodes.Internal };

    public static JsonArray Ids(IEnumerable<string> ids) => [.. ids.Select(id => (JsonNode)id)];

    public static IReadOnlyList<string> Ids(WorkflowContext context, string key) =>
        context.Data[key] is JsonArray array ? [.. array.Select(n => n!.GetValue<string>())] : [];

    /// <summary>Adds <paramref name="id"/> to the list under <paramref name="key"/> (what a step already did, should it run again).</summary>
    public static void AddId(WorkflowContext context, string key, string id)
    {
        if (context.Data[key] is not JsonArray array)
            context.Data[key] = array = [];
        array.Add(id);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Source {SourceId} did not forget replica {ReplicaId}; it may keep WAL for it")]
    private partial void LogForgetFailed(Exception e, string sourceId, string replicaId);
}
