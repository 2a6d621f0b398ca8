using Hoard.Core.Backups;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;
using Hoard.Server.Apis;
using Hoard.Server.Hosting;
using Hoard.Server.TaskManager.Workflows;
using Hoard.Server.Trove;
using Microsoft.Extensions.Options;

namespace Hoard.Server.TaskManager;

/// <summary>What a new backup is to be: Trove's create request, already validated.</summary>
/// <param name="Id">Chosen by the caller when it must know the id before the backup exists (a schedule claims its run first).</param>
/// <param name="Strategy">Hoard's extension: one of the version's allowed strategies; null for its default.</param>
/// <param name="Container">Trove's <c>swift_container</c>, checked against the storage; null for the backup strategy's or the configured one.</param>
internal sealed record BackupRequest(string Name, string? Description, bool Incremental, string? ParentId, string? Id = null, string? Strategy = null,
    string? Container = null);

/// <summary>
/// Starts a backup of an instance: the one path of <c>POST /backups</c> and of schedules, so both see the same state checks,
/// quota and workflow.
/// </summary>
internal sealed class BackupStarter(
    CatalogStore catalog,
    BackupStore backups,
    BackupStrategyStore strategies,
    BackupPipeline pipeline,
    WorkflowEngine engine,
    IOptions<HoardOptions> options,
    TimeProvider time)
{
    /// <summary>The caller has checked that the instance is the requester's.</summary>
    /// <exception cref="TroveFault">422 busy or not serving, 413 over quota, 501 not supported, 400/404 a bad parent.</exception>
    public async Task<BackupRecord> StartAsync(InstanceRecord instance, BackupRequest request, CancellationToken cancellationToken)
    {
        InstanceAccess.RequireServing(instance);
        var version = await catalog.GetVersionAsync(instance.DatastoreVersionId, cancellationToken)
                      ?? throw TroveFault.NotFound($"Datastore version {instance.DatastoreVersionId} cannot be found.");
        var strategy = version.Capabilities.BackupStrategy
                       ?? throw TroveFault.NotImplemented($"Backups are not supported for datastore {version.DatastoreName} {version.Name}.");
        if (request.Strategy is { } chosen)
        {
            strategy = version.Capabilities.AllowedBackupStrategies.Contains(chosen)
                ? chosen
                : throw TroveFault.BadRequest($"Backup strategy '{chosen}' is not available for datastore {version.DatastoreName} {version.Name}; " +
                                              $"choose one of: {string.Join(", ", version.Capabilities.AllowedBackupStrategies)}.");
        }

        var parent = await IncrementalParent.ResolveAsync(backups, instance, version, strategy, request.Incremental, request.ParentId, cancellationToken);
        var container = pipeline.DefaultContainer is null
            ? null
            : request.Container ?? await strategies.FindContainerAsync(instance.ProjectId, instance.Id, cancellationToken);

        var now = time.GetUtcNow();
        var backup = new BackupRecord
        {
            Id = request.Id ?? Guid.NewGuid().ToString(), ProjectId = instance.ProjectId, InstanceId = instance.Id, Name = request.Name,
            Description = request.Description, DatastoreType = version.DatastoreName, DatastoreVersion = version.Name,
            DatastoreVersionId = version.Id, Strategy = strategy, StorageDriver = pipeline.StorageDriver,
            Encrypted = options.Value.EncryptBackups, ParentId = parent?.Id, Created = now, Updated = now,
            Container = container == pipeline.DefaultContainer ? null : container,
        };
        // Only from the task just read, which the instance returns to afterwards.
        var (begun, exceeded) = await backups.TryBeginAsync(backup, CreateBackupWorkflow.Create(backup, now, instance.Task),
            InstanceTask.BackingUp, [instance.Task], QuotasApi.Defaults(options.Value), cancellationToken);
        if (exceeded.Count > 0)
        {
            throw QuotasApi.Exceeded(exceeded);
        }

        if (!begun)
        {
            throw InstanceAccess.NotAvailable(instance);
        }

        engine.Poke();
        return backup;
    }
}
