using System.Diagnostics;
using System.Text.Json.Nodes;
using Hoard.Contracts.Guest;
using Hoard.Core.Backups;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Hoard.Server.Trove;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Hoard.Server.Apis;

/// <summary>
/// <c>/hoard/transfers/{backupId}</c>, outside Trove's namespace and its tokens: where guests PUT a new backup's stream and
/// GET one to restore, each time with a one-time token (<see cref="BackupStrategies.TokenHeader"/>) issued for that backup
/// and direction. Streams of any size: Kestrel's request size limit and minimum data rates are lifted here only.
/// </summary>
internal static partial class BackupTransfersApi
{
    public const string Prefix = "/hoard/transfers";

    public static void MapBackupTransfersApi(this IEndpointRouteBuilder app)
    {
        app.MapPut(Prefix + "/{backupId}", UploadAsync);
        app.MapGet(Prefix + "/{backupId}", DownloadAsync);
    }

    /// <summary>The URL a guest transfers <paramref name="backupId"/>'s data at.</summary>
    public static string Url(HoardOptions options, string backupId) => $"{options.TransferBaseUrl}{Prefix}/{backupId}";

    internal static async Task<IResult> UploadAsync(HttpContext http, string backupId, TransferTokens tokens, BackupStore backups,
        BackupPipeline pipeline, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        using var grant = Redeem(http, tokens, backupId, TransferDirection.Upload);
        var backup = await backups.GetAsync(backupId, cancellationToken);
        if (backup?.Status != BackupStatus.Building)
        {
            throw TroveFault.Conflict($"Backup {backupId} is not being built; its data is not accepted.");
        }

        // A backup is as large as the database: no size limit, and no minimum rate while the tool pauses (a checkpoint).
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = null;
        }

        if (http.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate)
        {
            rate.MinDataRate = null;
        }

        var logger = loggers.CreateLogger(typeof(BackupTransfersApi));
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, grant.Revoked);
        var watch = Stopwatch.StartNew();
        StoredBackup stored;
        try
        {
            stored = await pipeline.StoreAsync(backup, http.Request.Body, backup.Encrypted, ended.Token);
        }
        catch (Exception e) when (grant.Revoked.IsCancellationRequested)
        {
            LogUploadBroken(logger, backupId, e.Message);
            throw TroveFault.Conflict($"Backup {backupId} was ended while its data arrived; nothing was kept.");
        }
        catch (Exception e) when (e is BadHttpRequestException or OperationCanceledException || http.RequestAborted.IsCancellationRequested)
        {
            LogUploadBroken(logger, backupId, e.Message);
            throw TroveFault.BadRequest($"The upload of backup {backupId} ended before its data was complete; nothing was kept.");
        }
        catch (IOException e)
        {
            LogStoreFailed(logger, e, backupId);
            throw new TroveFault(500, "instanceFault", $"hoard-server could not store backup {backupId}: {e.Message}");
        }

        if (!await backups.TryRecordUploadAsync(backupId, stored, CancellationToken.None))
        {
            await pipeline.DeleteAsync(backup, CancellationToken.None);
            throw TroveFault.Conflict($"Backup {backupId} was ended while its data arrived; the data was discarded.");
        }

        LogUploaded(logger, backupId, stored.Size, stored.Encrypted, watch.ElapsedMilliseconds);
        return Reply.Json(new JsonObject { ["size"] = stored.Size, ["checksum"] = stored.Checksum }, 201);
    }

    /// <summary>
    /// The backup's zstd stream. Its checksum is verified over the whole stored data before the first byte is sent (by the
    /// restoring workflow's verify step, or else here); a mismatch refuses the transfer (409). Should the data change while
    /// it is sent, the connection is aborted rather than ended, so the guest cannot take a damaged stream for a whole one.
    /// </summary>
    internal static async Task DownloadAsync(HttpContext http, string backupId, TransferTokens tokens, BackupStore backups,
        BackupPipeline pipeline, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        using var grant = Redeem(http, tokens, backupId, TransferDirection.Download);
        var backup = await backups.GetAsync(backupId, cancellationToken);
        if (backup?.Status != BackupStatus.Completed)
        {
            throw TroveFault.Conflict($"Backup {backupId} is not COMPLETED; it cannot be restored.");
        }

        var logger = loggers.CreateLogger(typeof(BackupTransfersApi));
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, grant.Revoked);
        // The restore's own workflow verified this stored object before it issued the token: one full pass is enough
        // (the send still hashes everything and aborts on a mismatch). Otherwise, a pass of its own before the first byte.
        if (!pipeline.TakeVerified(grant, backup))
        {
            try
            {
                await pipeline.VerifyAsync(backup, ended.Token);
            }
            catch (BackupIntegrityException e)
            {
                LogIntegrityFailed(logger, backupId, e.Message);
                throw TroveFault.Conflict($"Backup {backupId} failed its integrity check, so it is not restored: {e.Message}");
            }
        }

        if (http.Features.Get<IHttpMinResponseDataRateFeature>() is { } rate)
        {
            rate.MinDataRate = null;
        }

        var watch = Stopwatch.StartNew();
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/zstd";
        try
        {
            await pipeline.SendAsync(backup, http.Response.Body, ended.Token);
        }
        catch (Exception e) when (e is BackupIntegrityException or InvalidDataException or IOException or OperationCanceledException)
        {
            LogDownloadBroken(logger, backupId, e.Message);
            http.Abort();
            return;
        }

        LogDownloaded(logger, backupId, backup.Size ?? 0, watch.ElapsedMilliseconds);
    }

    private static TransferGrant Redeem(HttpContext http, TransferTokens tokens, string backupId, TransferDirection direction) =>
        tokens.Redeem(backupId, direction, http.Request.Headers[BackupStrategies.TokenHeader].ToString())
        ?? throw TroveFault.Unauthorized($"A valid transfer token for this backup is required in {BackupStrategies.TokenHeader}.");

    [LoggerMessage(Level = LogLevel.Information, Message = "Stored backup {BackupId}: {Bytes} bytes (encrypted: {Encrypted}) in {Ms} ms")]
    private static partial void LogUploaded(ILogger logger, string backupId, long bytes, bool encrypted, long ms);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The upload of backup {BackupId} broke off: {Reason}")]
    private static partial void LogUploadBroken(ILogger logger, string backupId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Storing backup {BackupId} failed")]
    private static partial void LogStoreFailed(ILogger logger, Exception e, string backupId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sent backup {BackupId} for a restore: {Bytes} bytes stored, in {Ms} ms")]
    private static partial void LogDownloaded(ILogger logger, string backupId, long bytes, long ms);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending backup {BackupId} broke off; the connection was aborted: {Reason}")]
    private static partial void LogDownloadBroken(ILogger logger, string backupId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Backup {BackupId} failed its integrity check; the restore was refused: {Reason}")]
    private static partial void LogIntegrityFailed(ILogger logger, string backupId, string reason);
}
