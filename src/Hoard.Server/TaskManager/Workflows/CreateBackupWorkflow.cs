using System.Text.Json;
using System.Text.Json.Nodes;
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
using Microsoft.Extensions.Options;

namespace Hoard.Server.TaskManager.Workflows;

/// <summary>
/// BACKUP: the guest runs the datastore's tool and PUTs its zstd stream to hoard-server with a one-time token; the
/// upload handler encrypts, checksums and stores it. The backup is COMPLETED only when the guest succeeded and its data
/// arrived whole; otherwise it is FAILED with a fault and whatever was stored is deleted. The instance is ACTIVE again
/// either way. A backup is never resumed after a hoard-server restart (its upload broke off with the connection): it
/// fails as interrupted.
/// </summary>
internal sealed partial class CreateBackupWorkflow(
    InstanceStore instances,
    BackupStore backups,
    BackupPipeline pipeline,
    TransferTokens tokens,
    IComputeProvider compute,
    IMessageBus bus,
    IOptions<HoardOptions> options,
    ILogger<CreateBackupWorkflow> logger) : IWorkflow
{
    public const string Name = "create_backup";
    private const string BackupIdKey = "backup_id";
    private const string ToolBytesKey = "tool_bytes";
    private const string MetadataKey = "metadata";
    private const string ElapsedMsKey = "elapsed_ms";
    private const string ReturnToKey = "return_to_task";
    private static readonly TimeSpan GuestCheckInterval = TimeSpan.FromSeconds(5);

    internal const string Interrupted =
        "The backup was interrupted: hoard-server restarted while it ran, which broke off its upload. Start a new backup.";

    public string Type => Name;

    private TimeSpan Timeout => TimeSpan.FromSeconds(options.Value.BackupTimeoutSeconds);

    // The guest's own timeout comes first, so that a slow backup fails with the clearer message.
    public IReadOnlyList<WorkflowStep> Steps =>
    [
        new("back_up", Timeout + TimeSpan.FromSeconds(60), BackUpAsync),
        new("complete", TimeSpan.FromSeconds(30), CompleteAsync),
    ];

    /// <param name="returnTo">The instance's task before the backup (RESTART_REQUIRED stays pending through it).</param>
    public static WorkflowRecord Create(BackupRecord backup, DateTimeOffset now, InstanceTask returnTo = InstanceTask.None) => new()
    {
        Id = Guid.NewGuid().ToString(), Type = Name, InstanceId = backup.InstanceId!, Created = now, Updated = now,
        Data = new JsonObject { [BackupIdKey] = backup.Id, [ReturnToKey] = returnTo.ToString() }.ToJsonString(),
    };

    private async Task<StepOutcome> BackUpAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        var backup = await backups.GetAsync(BackupId(context), cancellationToken);
        if (backup is null)
        {
            return StepOutcome.Fail("The backup was deleted before it ran.");
        }

        // The one place that tells a first run from a resumed one: only a first run finds it NEW.
        if (!await backups.TryBeginBuildingAsync(backup.Id, cancellationToken))
        {
            return StepOutcome.Fail(backup.Status == BackupStatus.Building ? Interrupted : $"The backup was ended elsewhere ({backup.Status}).");
        }

        BackupParent? parent = null;
        if (backup.ParentId is { } parentId)
        {
            // Deleting the parent is refused while this backup runs, but not before it started.
            if (await backups.GetAsync(parentId, cancellationToken) is not { Status: BackupStatus.Completed } parentRecord)
            {
                return StepOutcome.Fail($"The backup it builds on, {parentId}, was deleted or is no longer completed; take a full backup.");
            }

            parent = new BackupParent(parentId,
                JsonSerializer.Deserialize(parentRecord.Metadata, HoardJson.Default.DictionaryStringString) ?? []);
        }

        var started = context.Time.GetTimestamp();
        var token = tokens.Issue(backup.Id, TransferDirection.Upload, context.WorkflowId, context.Time.GetUtcNow() + Timeout);
        CreateBackupResult result;
        try
        {
            var request = new CreateBackupRequest(backup.Id, backup.Strategy,
                new BackupTransfer(BackupTransfersApi.Url(options.Value, backup.Id), token), parent);
            result = await WhileGuestRunsAsync(context.InstanceId,
                new GuestClient(bus, context.InstanceId).CreateBackupAsync(request, Timeout, cancellationToken), cancellationToken);
        }
        catch (RemoteCallException e)
        {
            return StepOutcome.Fail($"The guest could not back up the database: {e.Message}", e.Code);
        }
        catch (BusTimeoutException)
        {
            return StepOutcome.Fail($"The backup did not finish within {Timeout.TotalSeconds:0} s (BackupTimeoutSeconds).");
        }
        catch (GuestStoppedException)
        {
            return StepOutcome.Fail("The guest agent stopped while it was backing up the database.");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Never retried: a second attempt would find the backup BUILDING and call it interrupted.
            return StepOutcome.Fail($"Backing up failed: {e.Message}");
        }
        finally
        {
            tokens.Revoke(context.WorkflowId);
        }

        if (await backups.GetAsync(backup.Id, cancellationToken) is not { Status: BackupStatus.Building, Checksum: not null })
        {
            return StepOutcome.Fail("The guest reported the backup done, but its data never arrived whole at hoard-server.");
        }

        context.Data[ToolBytesKey] = result.ToolBytes;
        context.Data[MetadataKey] = JsonSerializer.SerializeToNode(new Dictionary<string, string>(result.Metadata), HoardJson.Default.DictionaryStringString);
        context.Data[ElapsedMsKey] = (long)context.Time.GetElapsedTime(started).TotalMilliseconds;
        return StepOutcome.Next;
    }

    private async Task<StepOutcome> CompleteAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        var id = BackupId(context);
        var toolBytes = context.Data[ToolBytesKey]!.GetValue<long>();
        if (await backups.TryCompleteAsync(id, toolBytes, context.Data[MetadataKey]?.ToJsonString() ?? "{}", cancellationToken))
        {
            var backup = await backups.GetAsync(id, cancellationToken);
            LogCompleted(id, context.InstanceId, backup?.Size ?? 0, toolBytes, context.Data[ElapsedMsKey]?.GetValue<long>() ?? -1);
        }
        else if (await backups.GetAsync(id, cancellationToken) is { Status: not BackupStatus.Completed } ended)
        {
            await pipeline.DeleteAsync(ended, cancellationToken); // failed by an admin's reset_status meanwhile
        }

        await instances.TrySetTaskAsync(context.InstanceId, InstanceTask.BackingUp, ReturnTo(context), cancellationToken);
        return StepOutcome.Next;
    }

    public async Task OnFailedAsync(WorkflowContext context, WorkflowFault fault, CancellationToken cancellationToken)
    {
        tokens.Revoke(context.WorkflowId);
        var message = fault.TimedOut && fault.Step == "back_up"
            ? $"The backup did not finish within {Timeout.TotalSeconds:0} s (BackupTimeoutSeconds)."
            : fault.Message;
        var id = BackupId(context);
        await backups.TryFailAsync(id, message, cancellationToken);
        if (await backups.GetAsync(id, cancellationToken) is { } backup)
        {
            try
            {
                await pipeline.DeleteAsync(backup, cancellationToken);
            }
            catch (IOException e)
            {
                LogDeleteFailed(e, id);
            }
        }

        await instances.TrySetTaskAsync(context.InstanceId, InstanceTask.BackingUp, ReturnTo(context), cancellationToken);
    }

    /// <summary>The guest's answer, unless its process ends first: a dead guest never answers, and the call would wait hours.</summary>
    private async Task<T> WhileGuestRunsAsync<T>(string instanceId, Task<T> call, CancellationToken cancellationToken)
    {
        while (true)
        {
            var tick = Task.Delay(GuestCheckInterval, cancellationToken);
            if (await Task.WhenAny(call, tick) == call)
            {
                return await call;
            }

            await tick;
            if (!await compute.IsGuestRunningAsync(instanceId, cancellationToken))
            {
                _ = call.ContinueWith(t => t.Exception, TaskScheduler.Default); // observed: nobody waits for it any more
                throw new GuestStoppedException();
            }
        }
    }

    private static string BackupId(WorkflowContext context) => context.RequireString(BackupIdKey);

    private static InstanceTask ReturnTo(WorkflowContext context) =>
        Enum.TryParse<InstanceTask>(context.GetString(ReturnToKey), out var task) ? task : InstanceTask.None;

    private sealed class GuestStoppedException : Exception;

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Backup {BackupId} of instance {InstanceId} completed: {StoredBytes} bytes stored, {ToolBytes} bytes from the tool, in {Ms} ms")]
    private partial void LogCompleted(string backupId, string instanceId, long storedBytes, long toolBytes, long ms);

    [LoggerMessage(Level = LogLevel.Error, Message = "Deleting the data of failed backup {BackupId} failed; a delete of the backup retries it")]
    private partial void LogDeleteFailed(Exception e, string backupId);
}
