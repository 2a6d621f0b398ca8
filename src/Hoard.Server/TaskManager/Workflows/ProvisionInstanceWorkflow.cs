using System.Collections.Concurrent;
using System.Diagnostics;
using Hoard.Contracts;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Core.Backups;
using Hoard.Core.Compute;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Messaging.Clients;
using Hoard.Persistence;
using Hoard.Server.Apis;
using Hoard.Server.Hosting;
using Hoard.Server.TaskManager;
using Microsoft.Extensions.Options;

namespace Hoard.Server.TaskManager.Workflows;

/// <summary>
/// Create, step by step: address and volume → guest process → prepare → wait for the guest to report the
/// server healthy → ACTIVE. Any step past its deadline turns the instance into ERROR with a fault naming it.
/// A restore (<c>restorePoint</c>) first verifies every backup it needs against its checksum, before anything is made,
/// then hands the guest a one-time download per backup in <c>prepare</c>, and waits up to RestoreTimeoutSeconds.
/// </summary>
internal sealed partial class ProvisionInstanceWorkflow(
    InstanceStore instances,
    CatalogStore catalog,
    IComputeProvider compute,
    IVolumeProvider volumes,
    IMessageBus bus,
    DesiredConfigurations configurations,
    NetworkAccessSync networkAccess,
    BackupStore backups,
    BackupPipeline backupPipeline,
    TransferTokens transferTokens,
    PointInTimeProvisioning pointInTime,
    ReplicaProvisioning replicas,
    GuestCredentials credentials,
    IOptions<HoardOptions> options,
    ILogger<ProvisionInstanceWorkflow> logger) : IWorkflow
{
    public const string Name = "provision_instance";
    private static readonly TimeSpan PrepareResendAfter = TimeSpan.FromSeconds(5);

    /// <summary>When this process last sent each workflow's prepare (empty after a restart).</summary>
    private readonly ConcurrentDictionary<string, long> _prepareSent = new();
    private const string DatabasesKey = "databases";
    private const string UsersKey = "users";
    private const string ConfigurationKey = "configuration_digest";

    /// <summary>The backups to restore, oldest first (BackupStore finds running restores by this key).</summary>
    private const string RestoreLayersKey = "restore_layers";

    public string Type => Name;

    private TimeSpan RestoreTimeout => TimeSpan.FromSeconds(options.Value.RestoreTimeoutSeconds);

    public IReadOnlyList<WorkflowStep> Steps =>
    [
        new("replica_context", TimeSpan.FromSeconds(60), replicas.FetchContextAsync),
        new("snapshot_source", TimeSpan.FromSeconds(options.Value.BackupTimeoutSeconds + 60), replicas.SnapshotSourceAsync),
        new("verify_backup", RestoreTimeout, VerifyBackupAsync),
        new("allocate_resources", TimeSpan.FromSeconds(30), AllocateAsync),
        new("start_guest", TimeSpan.FromSeconds(30), StartGuestAsync),
        new("prepare", TimeSpan.FromSeconds(30), PrepareAsync),
        new("await_restore", RestoreTimeout, AwaitRestoreAsync),
        new("await_guest", TimeSpan.FromSeconds(options.Value.BuildTimeoutSeconds), AwaitGuestAsync),
        // A replica's completion may attach it anew (a synchronous set): as long as a role change may take.
        new("complete", Replication.ReplicationSets.RoleChangeDeadline, CompleteAsync),
    ];

    /// <param name="restoreLayers">For a restore: the backups to restore, oldest (the full one) first.</param>
    /// <param name="pointInTime">For a point-in-time restore: its source instance and target time.</param>
    /// <param name="replicaSnapshotId">For a replica (<see cref="InstanceRecord.ReplicaOf"/>) of a datastore seeded from a backup:
    /// the id of the snapshot of the source its siblings share.</param>
    public static WorkflowRecord Create(InstanceRecord instance, IReadOnlyList<DatabaseSpec> databases, IReadOnlyList<UserSpec> users,
        IReadOnlyList<BackupRecord>? restoreLayers = null, PointInTimeTarget? pointInTime = null, string? replicaSnapshotId = null)
    {
        var record = new WorkflowRecord
        {
            Id = Guid.NewGuid().ToString(), Type = Name, InstanceId = instance.Id, Created = instance.Created, Updated = instance.Created,
        };
        var context = new System.Text.Json.Nodes.JsonObject
        {
            [DatabasesKey] = System.Text.Json.JsonSerializer.SerializeToNode(new CreateDatabasesRequest(databases), HoardJson.Default.CreateDatabasesRequest),
            [UsersKey] = System.Text.Json.JsonSerializer.SerializeToNode(new CreateUsersRequest(users), HoardJson.Default.CreateUsersRequest),
        };
        if (restoreLayers is { Count: > 0 })
        {
            context[RestoreLayersKey] = new System.Text.Json.Nodes.JsonArray([.. restoreLayers.Select(l => (System.Text.Json.Nodes.JsonNode)l.Id)]);
        }

        PointInTimeProvisioning.Record(context, pointInTime);
        if (instance.ReplicaOf is { } sourceId)
        {
            ReplicaProvisioning.Record(context, sourceId, replicaSnapshotId);
        }

        record.Data = context.ToJsonString();
        return record;
    }

    /// <summary>Fail fast: a corrupt or vanished backup ends the build before an address, volume or process exists.</summary>
    private async Task<StepOutcome> VerifyBackupAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        var layers = RestoreLayers(context);
        foreach (var id in layers)
        {
            var which = id == layers[^1] ? $"Backup {id}" : $"Backup {id}, which backup {layers[^1]} builds on,";
            var backup = await backups.GetAsync(id, cancellationToken);
            if (backup is not { Status: BackupStatus.Completed })
            {
                return StepOutcome.Fail($"{which} can no longer be restored: it is {backup?.Status ?? "deleted"}. Nothing was restored.");
            }

            try
            {
                await backupPipeline.VerifyAsync(backup, context.WorkflowId, cancellationToken);
            }
            catch (BackupIntegrityException e)
            {
                return StepOutcome.Fail($"{which} cannot be restored; nothing was restored. {e.Message}");
            }
        }

        if (await pointInTime.CheckAsync(context, layers, cancellationToken) is { } unreachable)
        {
            return StepOutcome.Fail(unreachable);
        }

        return StepOutcome.Next;
    }

    private async Task<StepOutcome> AllocateAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        var instance = await RequireInstanceAsync(context, cancellationToken);
        string address;
        try
        {
            address = await compute.AllocateAddressAsync(instance.Id, instance.Port, cancellationToken);
        }
        catch (PlacementException e)
        {
            // No host has room (Hoard:Compute=hosts): waiting out the step's deadline would not make one.
            return StepOutcome.Fail(e.Message);
        }

        await instances.SetAddressAsync(instance.Id, address, cancellationToken);
        if (instance.AllowedCidrs is not null)
        {
            // Before the guest starts: its server never listens at an address the rules do not yet guard.
            await networkAccess.ApplyAsync(cancellationToken);
        }

        context.Data["volume_path"] = await volumes.CreateAsync(instance.Id, instance.VolumeSize, cancellationToken);
        context.Data["address"] = address;
        return StepOutcome.Next;
    }

    private async Task<StepOutcome> StartGuestAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        if (await compute.IsGuestRunningAsync(context.InstanceId, cancellationToken))
        {
            return StepOutcome.Next;
        }

        var instance = await RequireInstanceAsync(context, cancellationToken);
        var version = await catalog.GetVersionAsync(instance.DatastoreVersionId, cancellationToken)
                      ?? throw new InvalidOperationException($"Datastore version {instance.DatastoreVersionId} is gone.");
        // A fresh secret each launch: only its hash is stored, the guest gets it through its private config file.
        var flavor = await catalog.GetFlavorAsync(instance.FlavorId, cancellationToken)
                     ?? throw new InvalidOperationException($"Flavor {instance.FlavorId} is gone.");
        // On the rabbitmq bus it is also the password of the guest's own broker user, made here before the guest starts.
        var (secret, brokerUser) = await credentials.IssueAsync(instance.Id, cancellationToken);
        await compute.StartGuestAsync(new GuestLaunch(instance.Id, version.Manager, context.RequireString("address"),
            instance.Port, context.RequireString("volume_path"), secret, flavor.RamMb, flavor.Vcpus, brokerUser), cancellationToken);
        return StepOutcome.Next;
    }

    private async Task<StepOutcome> PrepareAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        await SendPrepareAsync(context, cancellationToken);
        return StepOutcome.Next;
    }

    /// <summary>
    /// <c>prepare</c> is a cast: one sent just before hoard-server died may never have reached the guest (the embedded
    /// bus holds messages in memory). The guest ignores a second prepare, so a guest still <c>New</c> a while after
    /// the last one this process sent (or any, after a restart) is sent another.
    /// </summary>
    private async Task<bool> ResendPrepareIfLostAsync(WorkflowContext context, InstanceRecord instance, CancellationToken cancellationToken)
    {
        if (instance.ServiceStatus != ServiceStatus.New ||
            (_prepareSent.TryGetValue(context.WorkflowId, out var sent) && Stopwatch.GetElapsedTime(sent) < PrepareResendAfter))
        {
            return false;
        }

        await SendPrepareAsync(context, cancellationToken);
        return true;
    }

    private async Task SendPrepareAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        var instance = await RequireInstanceAsync(context, cancellationToken);
        var version = await catalog.GetVersionAsync(instance.DatastoreVersionId, cancellationToken)
                      ?? throw new InvalidOperationException($"Datastore version {instance.DatastoreVersionId} is gone.");
        var flavor = await catalog.GetFlavorAsync(instance.FlavorId, cancellationToken)
                     ?? throw new InvalidOperationException($"Flavor {instance.FlavorId} is gone.");
        var databases = context.Get(DatabasesKey, HoardJson.Default.CreateDatabasesRequest)?.Databases ?? [];
        var users = context.Get(UsersKey, HoardJson.Default.CreateUsersRequest)?.Users ?? [];
        var configuration = await configurations.DesiredAsync(instance, cancellationToken);
        context.Data[ConfigurationKey] = configuration.Digest;
        var restore = await RestoreSourceAsync(context, cancellationToken);
        await instances.SetServerStatusAsync(instance.Id, ServerStatus.Build, cancellationToken);
        await new GuestClient(bus, instance.Id).PrepareAsync(new PrepareRequest(version.DatastoreName, version.Name, flavor.RamMb,
            flavor.Vcpus, instance.VolumeSize, databases, users, configuration.Overrides, restore,
            await pointInTime.ArchiveTargetAsync(context, instance, version, cancellationToken), replicas.Context(context)), cancellationToken);
        _prepareSent[context.WorkflowId] = Stopwatch.GetTimestamp();
    }

    /// <summary>A fresh one-time download per backup, valid for as long as the restore may take; null when not restoring.</summary>
    private async Task<RestoreSource?> RestoreSourceAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        var ids = RestoreLayers(context);
        if (ids.Count == 0)
        {
            return null;
        }

        // Tokens of an earlier send stay valid: a resent prepare must not cancel a download the first one started.
        var expires = context.Time.GetUtcNow() + RestoreTimeout + TimeSpan.FromSeconds(60);
        var layers = new List<RestoreLayer>();
        string? strategy = null;
        foreach (var id in ids)
        {
            var backup = await backups.GetAsync(id, cancellationToken)
                         ?? throw new InvalidOperationException($"Backup {id} was deleted during the restore.");
            strategy ??= backup.Strategy;
            var token = transferTokens.Issue(id, TransferDirection.Download, context.WorkflowId, expires);
            layers.Add(new RestoreLayer(id, new BackupTransfer(BackupTransfersApi.Url(options.Value, id), token),
                System.Text.Json.JsonSerializer.Deserialize(backup.Metadata, HoardJson.Default.DictionaryStringString) ?? []));
        }

        return new RestoreSource(strategy!, layers, await pointInTime.RecoveryAsync(context, ids[0], expires, cancellationToken));
    }

    /// <summary>A restore gets RestoreTimeoutSeconds to bring the server up; a new instance goes straight on to await_guest.</summary>
    private Task<StepOutcome> AwaitRestoreAsync(WorkflowContext context, CancellationToken cancellationToken) =>
        RestoreLayers(context).Count == 0 ? Task.FromResult(StepOutcome.Next) : AwaitGuestAsync(context, cancellationToken);

    private async Task<StepOutcome> AwaitGuestAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        var instance = await RequireInstanceAsync(context, cancellationToken);
        switch (instance.ServiceStatus)
        {
            case ServiceStatus.Healthy or ServiceStatus.Running:
                return StepOutcome.Next;
            case ServiceStatus.Failed:
                var fault = await instances.GetLatestFaultAsync(instance.Id, cancellationToken);
                return StepOutcome.Fail(fault?.Message ?? "The guest agent could not prepare the database server.", fault?.Details);
        }

        if (!await compute.IsGuestRunningAsync(instance.Id, cancellationToken))
        {
            return StepOutcome.Fail("The guest agent process exited before the database server was ready.");
        }

        if (await ResendPrepareIfLostAsync(context, instance, cancellationToken))
        {
            LogPrepareResent(instance.Id);
        }

        return StepOutcome.WaitFor(TimeSpan.FromSeconds(1));
    }

    private async Task<StepOutcome> CompleteAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        // A replica is in its set (and its endpoint) before anyone sees it ACTIVE.
        await replicas.CompleteAsync(context, cancellationToken);
        await instances.SetServerStatusAsync(context.InstanceId, ServerStatus.Active, cancellationToken);
        await instances.TryFinishConfigurationAsync(context.InstanceId, InstanceTask.Building, InstanceTask.None,
            context.GetString(ConfigurationKey) ?? "", cancellationToken);
        ForgetPasswords(context);
        _prepareSent.TryRemove(context.WorkflowId, out _);
        transferTokens.Revoke(context.WorkflowId);
        return StepOutcome.Next;
    }

    public async Task OnFailedAsync(WorkflowContext context, WorkflowFault fault, CancellationToken cancellationToken)
    {
        ForgetPasswords(context);
        _prepareSent.TryRemove(context.WorkflowId, out _);
        transferTokens.Revoke(context.WorkflowId);
        await replicas.FailedAsync(context, cancellationToken);
        var task = fault.TimedOut && fault.Step is "await_guest" or "await_restore"
            ? InstanceTask.BuildingErrorTimeout
            : InstanceTask.BuildingError;
        // The fault first: whoever sees ERROR can read why.
        await instances.AddFaultAsync(context.InstanceId, $"Building the instance failed at step '{fault.Step}': {fault.Message}",
            fault.Details, cancellationToken);
        if (await instances.TrySetTaskAsync(context.InstanceId, InstanceTask.Building, task, cancellationToken))
        {
            await instances.SetServerStatusAsync(context.InstanceId, ServerStatus.Error, cancellationToken);
        }
    }

    private static IReadOnlyList<string> RestoreLayers(WorkflowContext context) =>
        context.Data[RestoreLayersKey] is System.Text.Json.Nodes.JsonArray layers ? [.. layers.Select(l => l!.GetValue<string>())] : [];

    /// <summary>Users' passwords are kept only until the guest has them.</summary>
    private static void ForgetPasswords(WorkflowContext context)
    {
        context.Data.Remove(UsersKey);
        PointInTimeProvisioning.Forget(context);
    }

    private async Task<InstanceRecord> RequireInstanceAsync(WorkflowContext context, CancellationToken cancellationToken) =>
        await instances.GetAsync(context.InstanceId, cancellationToken)
        ?? throw new InvalidOperationException($"Instance {context.InstanceId} no longer exists.");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Instance {InstanceId}: its guest still had no prepare; sent it again (lost in a server restart?)")]
    private partial void LogPrepareResent(string instanceId);
}
