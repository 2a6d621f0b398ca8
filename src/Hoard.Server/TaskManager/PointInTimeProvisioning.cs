using System.Globalization;
using System.Text.Json.Nodes;
using Hoard.Contracts.Guest;
using Hoard.Core.Backups;
using Hoard.Core.Catalog;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;
using Hoard.Server.Apis;
using Hoard.Server.Hosting;
using Hoard.Server.Identity;
using Microsoft.Extensions.Options;

namespace Hoard.Server.TaskManager;

/// <summary>
/// The build's part in point-in-time recovery: every instance of a datastore that archives its WAL gets a WAL token at
/// prepare (kept in the workflow's state only until the guest has it, like users' passwords; hoard-server keeps its hash);
/// a point-in-time restore also gets the archived WAL its replay needs, each file with a one-time download.
/// </summary>
internal sealed class PointInTimeProvisioning(
    WalArchiveStore walArchive, RecoveryWindows windows, TransferTokens tokens, IOptions<HoardOptions> options)
{
    private const string SourceKey = "restore_wal_instance";
    private const string TargetKey = "restore_time";
    private const string WalTokenKey = "wal_token";

    /// <summary>Puts a point-in-time restore's source and target into a new build's state.</summary>
    public static void Record(JsonObject data, PointInTimeTarget? target)
    {
        if (target is null)
            return;
        data[SourceKey] = target.SourceInstanceId;
        data[TargetKey] = target.Target.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
    }

    /// <summary>The WAL token is a secret: it leaves the workflow's state once the guest has it, or the build failed.</summary>
    public static void Forget(WorkflowContext context) => context.Data.Remove(WalTokenKey);

    /// <summary>Null when the build still can restore to its target (or is not a point-in-time restore); otherwise why not.</summary>
    public async Task<string?> CheckAsync(WorkflowContext context, IReadOnlyList<string> layers, CancellationToken cancellationToken)
    {
        if (Target(context) is not (var source, var target) || layers.Count == 0)
            return null;
        var window = await windows.ComputeAsync(source, cancellationToken);
        return window.Plan(target, layers[0]) is null
            ? $"Instance {source} can no longer be restored to {RecoveryWindowApi.Seconds(target)} from backup {layers[0]}: " +
              "its archived WAL no longer reaches that time (a backup or WAL file was deleted meanwhile). Nothing was restored."
            : null;
    }

    /// <summary>Where the new instance archives its WAL; null for datastores without point-in-time recovery.</summary>
    public async Task<WalArchiveTarget?> ArchiveTargetAsync(WorkflowContext context, InstanceRecord instance, DatastoreVersion version,
        CancellationToken cancellationToken)
    {
        if (!version.Capabilities.PointInTimeRecovery)
            return null;
        // One token per build: a resent prepare carries the same one, so the guest cannot end up holding an older token.
        if (context.GetString(WalTokenKey) is not { } token)
        {
            token = Secrets.NewToken();
            await walArchive.SetTokenHashAsync(instance.Id, instance.ProjectId, Secrets.Sha256(token), cancellationToken);
            context.Data[WalTokenKey] = token;
        }

        return new WalArchiveTarget(WalArchiveApi.Url(options.Value, instance.Id), token);
    }

    /// <summary>The WAL to replay after <paramref name="backupId"/> and where to stop; null when the build is not a point-in-time restore.</summary>
    public async Task<PointInTimeRecovery?> RecoveryAsync(WorkflowContext context, string backupId, DateTimeOffset expires,
        CancellationToken cancellationToken)
    {
        if (Target(context) is not (var source, var target))
            return null;
        var plan = (await windows.ComputeAsync(source, cancellationToken)).Plan(target, backupId)
                   ?? throw new InvalidOperationException($"Instance {source} can no longer be restored to {target:O} from backup {backupId}.");
        var files = plan.Files.Select(name => new WalFileDownload(name, new BackupTransfer($"{WalArchiveApi.Url(options.Value, source)}/{name}",
            tokens.Issue(WalArchiveApi.TransferId(source, name), TransferDirection.Download, context.WorkflowId, expires))));
        return new PointInTimeRecovery(target, [.. files]);
    }

    private static (string Source, DateTimeOffset Target)? Target(WorkflowContext context) =>
        context.GetString(SourceKey) is { } source && context.GetString(TargetKey) is { } target
            ? (source, DateTimeOffset.Parse(target, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind))
            : null;
}
