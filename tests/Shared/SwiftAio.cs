using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Hoard.Tests.Shared;

/// <summary>
/// A private OpenStack Swift (proxy with tempauth and s3api, account/container/object servers, memcached), started by
/// <c>scripts/swift-aio.sh</c> on free loopback ports in a temporary directory, stopped and removed by
/// <see cref="DisposeAsync"/>. Its credentials are read from the directory's <c>credentials</c> file and never printed.
/// Linked into the test projects that need it.
/// </summary>
internal sealed class SwiftAio : IAsyncDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private readonly Dictionary<string, string> _credentials;

    private SwiftAio(string dir, int port, Dictionary<string, string> credentials)
    {
        Dir = dir;
        Port = port;
        _credentials = credentials;
    }

    /// <summary>Why Swift-backed tests do not run here, or null when they do.</summary>
    public static string? SkipReason { get; } = FindSkipReason();

    public string Dir { get; }

    /// <summary>The proxy's port; the account, container and object servers and memcached use the next four.</summary>
    public int Port { get; }

    public string AuthUrl => _credentials["SWIFT_AUTH_URL"];

    public string User => _credentials["SWIFT_USER"];

    /// <summary>The tempauth key.</summary>
    public string Key => _credentials["SWIFT_KEY"];

    /// <summary>The proxy's base URL, where s3api answers too.</summary>
    public string S3Endpoint => _credentials["S3_ENDPOINT"];

    public string S3AccessKey => _credentials["S3_ACCESS_KEY"];

    public string S3SecretKey => _credentials["S3_SECRET_KEY"];

    public static async Task<SwiftAio> StartAsync(string dirPrefix)
    {
        var dir = Path.Combine(Path.GetTempPath(), dirPrefix + Guid.NewGuid().ToString("N")[..8]);
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePortRange(5);
            var (exitCode, stderr) = await RunScriptAsync("start", dir, port.ToString(CultureInfo.InvariantCulture));
            if (exitCode == 0)
            {
                var credentials = File.ReadAllLines(Path.Combine(dir, "credentials"))
                    .Select(l => l.Split('=', 2))
                    .Where(p => p.Length == 2)
                    .ToDictionary(p => p[0], p => p[1]);
                return new SwiftAio(dir, port, credentials);
            }

            // Another process may have taken one of the ports between the check and the start.
            if (attempt == 3)
            {
                await RunScriptAsync("stop", dir);
                throw new InvalidOperationException($"swift-aio.sh start failed ({exitCode}): {stderr}");
            }
        }
    }

    /// <summary>A fresh tempauth token and the account's storage URL, as a user of Swift gets them.</summary>
    public async Task<(string Token, string StorageUrl)> AuthenticateAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, AuthUrl);
        request.Headers.Add("X-Auth-User", User);
        request.Headers.Add("X-Auth-Key", Key);
        using var response = await _http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Swift tempauth answered {(int)response.StatusCode}.");
        }

        return (response.Headers.GetValues("X-Auth-Token").First(), response.Headers.GetValues("X-Storage-Url").First());
    }

    /// <summary>A GET straight to Swift with a valid token: the status and the body.</summary>
    public async Task<(HttpStatusCode Status, byte[] Body)> GetAsync(string url)
    {
        var (token, _) = await AuthenticateAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("X-Auth-Token", token);
        using var response = await _http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync());
    }

    /// <summary>Names and sizes of a container's objects whose names start with <paramref name="prefix"/>; none when the container is missing.</summary>
    public async Task<List<(string Name, long Bytes)>> ListAsync(string container, string prefix = "")
    {
        var (token, storageUrl) = await AuthenticateAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get,
            $"{storageUrl}/{Uri.EscapeDataString(container)}?format=json&prefix={Uri.EscapeDataString(prefix)}");
        request.Headers.Add("X-Auth-Token", token);
        using var response = await _http.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Listing Swift container {container} answered {(int)response.StatusCode}.");
        }

        var listing = (await response.Content.ReadFromJsonAsync<JsonArray>())!;
        return [.. listing.Select(o => ((string)o!["name"]!, (long)o["bytes"]!))];
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await RunScriptAsync("stop", Dir);
        Directory.Delete(Dir, recursive: true);
    }

    private static string? FindSkipReason()
    {
        if (Environment.GetEnvironmentVariable("HOARD_TEST_NO_SWIFT") == "1")
        {
            return "HOARD_TEST_NO_SWIFT=1: backups to Swift and S3 are not tested on this machine.";
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, "swift-proxy-server")))
            ? null
            : "swift-proxy-server is not installed (scripts/install-deps.sh installs swift-proxy, swift-account, swift-container, swift-object and memcached).";
    }

    /// <summary>The first of <paramref name="count"/> consecutive loopback ports nothing listens on, below the ephemeral range.</summary>
    private static int FreePortRange(int count)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var first = Random.Shared.Next(20000, 32000 - count);
            if (Enumerable.Range(first, count).All(IsFree))
            {
                return first;
            }
        }

        throw new InvalidOperationException($"No {count} consecutive free loopback ports between 20000 and 32000.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task<(int ExitCode, string Stderr)> RunScriptAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(RepositoryRoot(), "scripts", "swift-aio.sh"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        // stdout carries the credentials: read (so the script never blocks on a full pipe) and dropped.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"swift-aio.sh {args[0]} did not finish within 90 s: {await stderr}");
        }

        await stdout;
        return (process.ExitCode, await stderr);
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hoard.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"No Hoard.slnx above {AppContext.BaseDirectory}.");
    }
}
