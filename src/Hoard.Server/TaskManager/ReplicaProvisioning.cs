using System.Text.Json.Nodes;
using Hoard.Contracts;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Core.Backups;
using Hoard.Core.Workflows;
using Hoard.Messaging.Clients;
using Hoard.Persistence;
using Hoard.Server.Trove;

namespace Hoard.Server.TaskManager;

/// <summary>
/// The replica's part of a build: ask the source for its replica context (its replication account; PostgreSQL's slot),
/// and, where the datastore seeds replicas from a backup (MariaDB), take a fresh physical backup of the source and
/// restore it. Replicas of one request share one snapshot: the first build to get there starts it, the others wait for
/// it, and the last one built deletes it. The context holds the source's replication password: it is kept in the
/// workflow's state only until the guest has it.
/// </summary>
internal sealed partial class ReplicaProvisioning(
    InstanceStore instances,
    BackupStore backups,
    IServiceProvider services,
    BackupDeleter backupDeleter,
    ReplicationSetStore sets,
    Replication.ReplicationSets replication,
    Replication.WriteEndpointSync endpoints,
    Microsoft.Extensions.Options.IOptions<Hosting.HoardOptions> options,
    IMessageBus bus,
    ILogger<ReplicaProvisioning> logger)
{
    private const string SourceKey = "replica_source";
    private const string SnapshotKey = "replica_snapshot";
    private const string ContextKey = "replica_context";

    /// <summary>The source was made asynchronous for the build; CompleteAsync gives the set its mode back.</summary>
    private const string RestoreModeKey = "restore_synchronous_mode";

    /// <summary>The backups to restore: ProvisionInstanceWorkflow's key, read by BackupStore to find running restores.</summary>
    private const string RestoreLayersKey = "restore_layers";

    /// <param name="snapshotId">The id the shared snapshot of the source will have, for datastores seeded from a backup.</param>
    public static void Record(JsonObject data, string sourceId, string? snapshotId)
    {
        data[SourceKey] = sourceId;
        if (snapshotId is not null)
        {
            data[SnapshotKey] = snapshotId;
            // Listed from the start: the snapshot cannot be deleted while any of its replicas may still restore it.
            data[RestoreLayersKey] = new JsonArray(snapshotId);
        }
    }

    public static string? SourceOf(WorkflowContext context) => context.GetString(SourceKey);

    /// <summary>The source's context, fetched once per build (a resent prepare reuses it).</summary>
    public async Task<StepOutcome> FetchContextAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        if (SourceOf(context) is not { } sourceId || context.Data[ContextKey] is not null)
            return StepOutcome.Next;
        var source = await instances.GetAsync(sourceId, cancellationToken);
        if (source is null)
            return StepOutcome.Fail($"Source instance {sourceId} was deleted before its replica was built.");
        try
        {
            // A synchronous source with no other replica to acknowledge would hold every commit until this one is built
            // (and MariaDB's snapshot that seeds it waits for the commits in progress: it would never finish). The source
            // serves asynchronously until the replica is built and attached, then the set's mode is back (CompleteAsync).
            var synchronous = await sets.IsSynchronousAsync(source.ReplicationSet, cancellationToken);
            var relaxed = synchronous && !await HasServingReplicaAsync(sourceId, context.InstanceId, cancellationToken);
            var replicaContext = await replication.Guest(sourceId).GetReplicaContextAsync(context.InstanceId, synchronous && !relaxed, cancellationToken);
            if (relaxed)
            {
                replicaContext = replicaContext with { Data = new Dictionary<string, string>(replicaContext.Data) { ["sync"] = "true" } };
                context.Data[RestoreModeKey] = true;
            }

            context.Set(ContextKey, replicaContext, HoardJson.Default.ReplicaContext);
            return StepOutcome.Next;
        }
        catch (RemoteCallException e) when (e.Code is GuestErrorCodes.BadRequest or GuestErrorCodes.NotSupported)
        {
            return StepOutcome.Fail($"Source instance {sourceId} cannot serve a replica: {e.Message}");
        }
    }

    /// <summary>True when another replica of the source serves and streams (it acknowledges for a synchronous source).</summary>
    private async Task<bool> HasServingReplicaAsync(string sourceId, string exceptId, CancellationToken cancellationToken) =>
        (await instances.ListReplicasAsync(sourceId, cancellationToken)).Any(r => r.Id != exceptId && r.ServiceStatus is ServiceStatus.Healthy &&
                                                                                 Replication.ReplicationSets.LastReport(r)?.Streaming == true);

    /// <summary>Starts the shared snapshot of the source if no sibling has, and waits until it is COMPLETED.</summary>
    public async Task<StepOutcome> SnapshotSourceAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        if (context.GetString(SnapshotKey) is not { } snapshotId)
            return StepOutcome.Next;
        var snapshot = await backups.GetAsync(snapshotId, cancellationToken);
        if (snapshot is null)
        {
            var sourceId = context.RequireString(SourceKey);
            var source = await instances.GetAsync(sourceId, cancellationToken);
            if (source is null)
                return StepOutcome.Fail($"Source instance {sourceId} was deleted before its replica was built.");
            try
            {
                // Resolved here: the starter needs the workflow engine, which needs this workflow step.
                await services.GetRequiredService<BackupStarter>().StartAsync(source, new BackupRequest($"replication snapshot of {source.Name}",
                    $"Taken to seed replica {context.InstanceId}; deleted once its replicas are built.", Incremental: false, ParentId: null,
                    Id: snapshotId), cancellationToken);
            }
            catch (Exception e) when (e is TroveFault or System.Data.Common.DbException)
            {
                // The source is busy (a backup, a sibling's snapshot just started): try again until the step's deadline.
                LogSnapshotWaiting(context.InstanceId, e.Message);
            }

            return StepOutcome.WaitFor(TimeSpan.FromSeconds(1));
        }

        return snapshot.Status switch
        {
            BackupStatus.Completed => StepOutcome.Next,
            BackupStatus.Failed or BackupStatus.DeleteFailed => StepOutcome.Fail(
                $"The snapshot of source instance {snapshot.InstanceId} that seeds the replica failed: {snapshot.Fault}"),
            _ => StepOutcome.WaitFor(TimeSpan.FromMilliseconds(500)),
        };
    }

    public ReplicaContext? Context(WorkflowContext context) => context.Get(ContextKey, HoardJson.Default.ReplicaContext);

    /// <summary>
    /// The replica is built: it joins its source's replication set (made now, with its write endpoint, for a first
    /// replica); the password goes, and the snapshot too once no sibling still needs it.
    /// </summary>
    public async Task CompleteAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        if (SourceOf(context) is not { } sourceId)
            return;
        await sets.JoinAsync(sourceId, context.InstanceId, options.Value.ReplicationEndpointFirstPort, cancellationToken);
        if (context.Data[RestoreModeKey] is not null)
        {
            // Synchronous again, then the replica attached anew to the synchronous source (so that it surely acknowledges).
            await replication.ContextAsync(sourceId, context.InstanceId, cancellationToken);
            await replication.AttachAsync(sourceId, context.InstanceId, cancellationToken);
            context.Data.Remove(RestoreModeKey);
        }

        // The source asked once more now that the replica follows it (MariaDB releases commits a synchronous set stranded meanwhile).
        await replication.ContextAsync(sourceId, context.InstanceId, cancellationToken);
        await endpoints.TryApplyAsync(cancellationToken);
        context.Data.Remove(ContextKey);
        await DeleteSnapshotAsync(context, cancellationToken);
    }

    /// <summary>The build failed: the source forgets the replica (PostgreSQL's slot would keep its WAL forever).</summary>
    public async Task FailedAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        context.Data.Remove(ContextKey);
        if (SourceOf(context) is { } sourceId)
        {
            try
            {
                await new GuestClient(bus, sourceId, TimeSpan.FromSeconds(10)).ForgetReplicaAsync(context.InstanceId, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogForgetFailed(e, sourceId, context.InstanceId);
            }
        }

        await DeleteSnapshotAsync(context, cancellationToken);
    }

    private async Task DeleteSnapshotAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        if (context.GetString(SnapshotKey) is not { } snapshotId || await backups.GetAsync(snapshotId, cancellationToken) is not { } snapshot)
            return;
        // This build no longer needs it; a sibling's still running build may (then the sibling deletes it).
        context.Data.Remove(RestoreLayersKey);
        context.Data.Remove(SnapshotKey);
        try
        {
            await backupDeleter.DeleteAsync(snapshot, cancellationToken, builtInstanceId: context.InstanceId);
        }
        catch (TroveFault e)
        {
            LogSnapshotKept(snapshotId, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica {InstanceId}: waiting to snapshot its source ({Reason})")]
    private partial void LogSnapshotWaiting(string instanceId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Source {SourceId} did not forget failed replica {ReplicaId}")]
    private partial void LogForgetFailed(Exception e, string sourceId, string replicaId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replication snapshot {BackupId} kept for now: {Reason}")]
    private partial void LogSnapshotKept(string backupId, string reason);
}
