using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Hoard.Contracts.Guest;
using Hoard.Core.Backups;
using Hoard.Core.PointInTime;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Hoard.Server.Identity;
using Hoard.Server.Trove;
using Microsoft.AspNetCore.Http.Features;

namespace Hoard.Server.Apis;

/// <summary>
/// <c>/hoard/wal/{instanceId}/{name}</c>, beside the backup transfers and outside Trove's namespace: a guest PUTs each WAL
/// file its datastore finished (zstd) with the instance's WAL token, which hoard-server stores through the backup pipeline
/// (encrypted, checksummed) under <c>&lt;project&gt;/wal/&lt;instance&gt;/</c>; a restoring guest GETs the files its replay
/// needs, each with a one-time download token of its build.
/// </summary>
internal static partial class WalArchiveApi
{
    public const string Prefix = "/hoard/wal";

    /// <summary>A 16 MB segment compresses to less; anything larger than this is not a WAL file.</summary>
    private const long MaxBodyBytes = 64L << 20;

    public static void MapWalArchiveApi(this IEndpointRouteBuilder app)
    {
        app.MapPut(Prefix + "/{instanceId}/{name}", UploadAsync);
        app.MapGet(Prefix + "/{instanceId}/{name}", DownloadAsync);
    }

    /// <summary>The URL a guest archives its WAL files under (<c>PUT {url}/{name}</c>).</summary>
    public static string Url(HoardOptions options, string instanceId) => $"{options.TransferBaseUrl}{Prefix}/{instanceId}";

    /// <summary>What a restore's one-time download token is issued for (see <see cref="TransferTokens"/>).</summary>
    public static string TransferId(string instanceId, string name) => $"wal/{instanceId}/{name}";

    internal static async Task<IResult> UploadAsync(HttpContext http, string instanceId, string name, InstanceStore instances,
        WalArchiveStore walArchive, BackupPipeline pipeline, Microsoft.Extensions.Options.IOptions<HoardOptions> options, TimeProvider time,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var hash = await walArchive.GetTokenHashAsync(instanceId, cancellationToken);
        var token = http.Request.Headers[BackupStrategies.TokenHeader].ToString();
        if (hash is null || token.Length == 0 || !Secrets.HashEquals(token, hash))
        {
            throw TroveFault.Unauthorized($"The instance's WAL token is required in {BackupStrategies.TokenHeader}.");
        }

        var file = WalFileName.TryParse(name) ?? throw TroveFault.BadRequest($"'{name}' is not the name of a WAL file.");
        var instance = await instances.GetAsync(instanceId, cancellationToken)
                       ?? throw TroveFault.Conflict($"Instance {instanceId} is deleted; its WAL is not kept.");
        var endTime = EndTime(http.Request.Headers[WalArchiving.EndTimeHeader].ToString()) ?? time.GetUtcNow();
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = MaxBodyBytes;
        }

        var logger = loggers.CreateLogger(typeof(WalArchiveApi));
        var record = new WalFileRecord
        {
            InstanceId = instanceId, ProjectId = instance.ProjectId, Name = name, Kind = file.Kind, Timeline = file.Timeline,
            Segment = file.Segment, Checksum = "", StorageDriver = pipeline.StorageDriver, EndTime = endTime,
        };
        var watch = Stopwatch.StartNew();
        StoredBackup stored;
        try
        {
            stored = await pipeline.StoreAsync(instance.ProjectId, record.StorageKey, http.Request.Body, options.Value.EncryptBackups, cancellationToken);
        }
        catch (Exception e) when (e is BadHttpRequestException or OperationCanceledException || http.RequestAborted.IsCancellationRequested)
        {
            LogUploadBroken(logger, instanceId, name, e.Message);
            throw TroveFault.BadRequest($"The upload of WAL file {name} ended before it was complete; nothing was kept.");
        }
        catch (IOException e)
        {
            LogStoreFailed(logger, e, instanceId, name);
            throw new TroveFault(500, "instanceFault", $"hoard-server could not store WAL file {name}: {e.Message}");
        }

        record.Size = stored.Size;
        record.Checksum = stored.Checksum;
        record.Encrypted = stored.Encrypted;
        record.Archived = time.GetUtcNow();
        await walArchive.RecordAsync(record, CancellationToken.None);
        LogArchived(logger, instanceId, name, stored.Size, (record.Archived - endTime).TotalMilliseconds, watch.ElapsedMilliseconds);
        return Reply.Json(new JsonObject { ["name"] = name, ["size"] = stored.Size }, 201);
    }

    /// <summary>One archived file's zstd stream for a restore; its checksum is verified before the first byte is sent.</summary>
    internal static async Task DownloadAsync(HttpContext http, string instanceId, string name, TransferTokens tokens,
        WalArchiveStore walArchive, BackupPipeline pipeline, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        using var grant = tokens.Redeem(TransferId(instanceId, name), TransferDirection.Download, http.Request.Headers[BackupStrategies.TokenHeader].ToString())
                          ?? throw TroveFault.Unauthorized($"A valid transfer token for this WAL file is required in {BackupStrategies.TokenHeader}.");
        var record = await walArchive.GetAsync(instanceId, name, cancellationToken)
                     ?? throw TroveFault.NotFound($"WAL file {name} of instance {instanceId} is not archived (any more).");
        var stored = new StoredObject($"WAL file {name} of instance {instanceId}", record.ProjectId, record.StorageKey, record.Size,
            record.Checksum, record.Encrypted);
        var logger = loggers.CreateLogger(typeof(WalArchiveApi));
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, grant.Revoked);
        try
        {
            await pipeline.VerifyAsync(stored, ended.Token);
        }
        catch (BackupIntegrityException e)
        {
            LogIntegrityFailed(logger, instanceId, name, e.Message);
            throw TroveFault.Conflict($"WAL file {name} failed its integrity check, so it is not restored: {e.Message}");
        }

        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/zstd";
        try
        {
            await pipeline.SendAsync(stored, http.Response.Body, ended.Token);
        }
        catch (Exception e) when (e is BackupIntegrityException or InvalidDataException or IOException or OperationCanceledException)
        {
            LogIntegrityFailed(logger, instanceId, name, e.Message);
            http.Abort();
        }
    }

    private static DateTimeOffset? EndTime(string header) =>
        DateTimeOffset.TryParse(header, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value) ? value.ToUniversalTime() : null;

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Archived WAL file {Name} of instance {InstanceId}: {Bytes} bytes stored, {LagMs:0} ms after its last write, stored in {Ms} ms")]
    private static partial void LogArchived(ILogger logger, string instanceId, string name, long bytes, double lagMs, long ms);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The upload of WAL file {Name} of instance {InstanceId} broke off: {Reason}")]
    private static partial void LogUploadBroken(ILogger logger, string instanceId, string name, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Storing WAL file {Name} of instance {InstanceId} failed")]
    private static partial void LogStoreFailed(ILogger logger, Exception e, string instanceId, string name);

    [LoggerMessage(Level = LogLevel.Error, Message = "Sending WAL file {Name} of instance {InstanceId} for a restore failed: {Reason}")]
    private static partial void LogIntegrityFailed(ILogger logger, string instanceId, string name, string reason);
}
