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
using ZstdSharp;

namespace Hoard.Guest.Tests.Backups;

/// <summary>
/// A stand-in for hoard-server's WAL archive (<c>/hoard/wal/{instance}/{name}</c>) on Kestrel at 127.0.0.1: a PUT with the
/// right token is kept (as sent, zstd) with its end-time header, a GET with the right token serves it back.
/// </summary>
public sealed class WalReceiver : IAsyncLifetime
{
    private WebApplication? _app;

    public string Token { get; } = "wal-" + Guid.NewGuid().ToString("N");

    public string BaseUrl { get; private set; } = "";

    /// <summary>What arrived, by file name: the zstd bytes and the end time the guest sent.</summary>
    public ConcurrentDictionary<string, (byte[] Zstd, string EndTime)> Files { get; } = new();

    /// <summary>Names in the order they arrived.</summary>
    public ConcurrentQueue<string> Arrivals { get; } = new();

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.MapPut("/wal/{name}", UploadAsync);
        _app.MapGet("/wal/{name}", (HttpContext http, string name) => Serve(http, name));
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
            await _app.DisposeAsync();
    }

    public WalArchiveTarget Target(string? token = null) => new($"{BaseUrl}/wal", token ?? Token);

    public WalFileDownload Download(string name) => new(name, new BackupTransfer($"{BaseUrl}/wal/{name}", Token));

    /// <summary>A file's bytes as the datastore wrote them.</summary>
    public byte[] Plain(string name)
    {
        using var zstd = new Decompressor();
        return zstd.Unwrap(Files[name].Zstd).ToArray();
    }

    private async Task<IResult> UploadAsync(HttpContext http, string name)
    {
        if (http.Request.Headers[BackupStrategies.TokenHeader].ToString() != Token)
            return Results.Json(new Dictionary<string, object> { ["unauthorized"] = new Dictionary<string, object> { ["code"] = 401, ["message"] = "A valid WAL token is required." } },
                statusCode: 401);
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, http.RequestAborted);
        Files[name] = (body.ToArray(), http.Request.Headers[WalArchiving.EndTimeHeader].ToString());
        Arrivals.Enqueue(name);
        return Results.Json(new Dictionary<string, object> { ["name"] = name }, statusCode: 201);
    }

    private IResult Serve(HttpContext http, string name) =>
        http.Request.Headers[BackupStrategies.TokenHeader].ToString() != Token ? Results.StatusCode(401)
        : Files.TryGetValue(name, out var file) ? Results.Bytes(file.Zstd, "application/zstd")
        : Results.NotFound();
}
