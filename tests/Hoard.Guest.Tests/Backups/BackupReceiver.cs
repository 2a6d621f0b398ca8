using System.Collections.Concurrent;
using System.Net;
using Hoard.Contracts.Guest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hoard.Guest.Tests.Backups;

/// <summary>
/// A stand-in for hoard-server's transfer endpoint, on Kestrel at 127.0.0.1: a PUT with the right token is stored in a
/// file (a wrong one is refused with 403 before the body is read), a GET serves the file back, optionally damaged.
/// Records what each request looked like.
/// </summary>
public sealed class BackupReceiver : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("hoard-receiver-").FullName;
    private WebApplication? _app;

    /// <summary>The one token this receiver accepts; random per receiver.</summary>
    public string Token { get; } = "tok-" + Guid.NewGuid().ToString("N");

    public string BaseUrl { get; private set; } = "";

    /// <summary>What the GET of a backup serves instead of the stored bytes.</summary>
    public ConcurrentDictionary<string, Func<byte[], byte[]>> Damage { get; } = new();

    public ConcurrentDictionary<string, ReceivedUpload> Uploads { get; } = new();

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MinRequestBodyDataRate = null;
        });
        _app = builder.Build();
        _app.MapPut("/transfers/{backupId}", UploadAsync);
        _app.MapGet("/transfers/{backupId}", DownloadAsync);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
            await _app.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    public BackupTransfer Upload(string backupId, string? token = null) => new($"{BaseUrl}/transfers/{backupId}", token ?? Token);

    public RestoreLayer Layer(string backupId, IReadOnlyDictionary<string, string>? metadata = null, string? token = null) =>
        new(backupId, new BackupTransfer($"{BaseUrl}/transfers/{backupId}", token ?? Token), metadata ?? new Dictionary<string, string>());

    public string PathOf(string backupId) => Path.Combine(_directory, backupId + ".zst");

    private async Task<IResult> UploadAsync(HttpContext http, string backupId)
    {
        var received = new ReceivedUpload(
            http.Request.ContentType,
            http.Request.Headers.TransferEncoding.ToString(),
            http.Request.QueryString.Value ?? "",
            http.Request.Headers[BackupStrategies.TokenHeader].ToString() == Token);
        Uploads[backupId] = received;
        if (!received.TokenAccepted)
            return Results.Json(new Dictionary<string, object> { ["forbidden"] = new Dictionary<string, object> { ["code"] = 403, ["message"] = "A valid transfer token is required." } },
                statusCode: 403);

        var path = PathOf(backupId);
        try
        {
            await using (var file = File.Create(path + ".part"))
                await http.Request.Body.CopyToAsync(file, http.RequestAborted);
            File.Move(path + ".part", path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or BadHttpRequestException or OperationCanceledException)
        {
            // As hoard-server does: a body that broke off is kept nowhere.
            File.Delete(path + ".part");
            received.BrokeOff = true;
            return Results.BadRequest();
        }

        received.Completed = true;
        return Results.Json(new Dictionary<string, object> { ["size"] = new FileInfo(path).Length }, statusCode: 201);
    }

    private async Task DownloadAsync(HttpContext http, string backupId)
    {
        if (http.Request.Headers[BackupStrategies.TokenHeader].ToString() != Token)
        {
            http.Response.StatusCode = 403;
            return;
        }

        if (!File.Exists(PathOf(backupId)))
        {
            http.Response.StatusCode = 404;
            return;
        }

        var bytes = await File.ReadAllBytesAsync(PathOf(backupId));
        if (Damage.TryGetValue(backupId, out var damage))
            bytes = damage(bytes);
        http.Response.ContentType = "application/zstd";
        http.Response.ContentLength = bytes.Length;
        await http.Response.Body.WriteAsync(bytes);
    }
}

/// <summary>How an upload arrived.</summary>
public sealed record ReceivedUpload(string? ContentType, string TransferEncoding, string Query, bool TokenAccepted)
{
    public bool Completed { get; set; }

    public bool BrokeOff { get; set; }
}
