using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Hoard.Providers.ObjectStorage.S3;
using Hoard.Providers.ObjectStorage.Swift;

namespace Hoard.Core.Tests.ObjectStorage;

/// <summary>
/// One private Swift (proxy with tempauth and s3api, account/container/object servers, memcached) for the test run,
/// started by <c>scripts/swift-aio.sh</c> on free loopback ports in a temporary directory, and stopped and removed at
/// the end. Its credentials are read from the directory's <c>credentials</c> file, never printed.
/// </summary>
public sealed class SwiftFixture : IAsyncLifetime
{
    private readonly HttpClient _http = new();

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "hoard-swift-tests-" + Guid.NewGuid().ToString("N")[..8]);

    public int Port { get; private set; }

    public string AuthUrl { get; private set; } = "";
    public string User { get; private set; } = "";
    public string Key { get; private set; } = "";
    public string S3Endpoint { get; private set; } = "";
    public string S3AccessKey { get; private set; } = "";
    public string S3SecretKey { get; private set; } = "";

    /// <summary>Why the Swift tests do not run here, or null when they do.</summary>
    public static string? SkipReason { get; } = FindSkipReason();

    public SwiftOptions SwiftOptions(string container) => new()
    {
        AuthUrl = AuthUrl, Username = User, Key = Key, Container = container, SegmentSizeBytes = 1 << 20,
    };

    public S3Options S3Options(string bucket) => new()
    {
        Endpoint = S3Endpoint, AccessKey = S3AccessKey, SecretKey = S3SecretKey, Bucket = bucket, PartSizeBytes = 5 << 20,
    };

    public async Task InitializeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }

        Directory.CreateDirectory(Dir);
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePortRange(5);
            var (exitCode, stderr) = await RunScriptAsync("start", Dir, Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (exitCode == 0)
            {
                break;
            }

            // Another process may have taken one of the ports between the check and the start.
            if (attempt == 3)
            {
                throw new InvalidOperationException($"swift-aio.sh start failed ({exitCode}): {stderr}");
            }
        }

        var credentials = File.ReadAllLines(Path.Combine(Dir, "credentials"))
            .Select(l => l.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1]);
        AuthUrl = credentials["SWIFT_AUTH_URL"];
        User = credentials["SWIFT_USER"];
        Key = credentials["SWIFT_KEY"];
        S3Endpoint = credentials["S3_ENDPOINT"];
        S3AccessKey = credentials["S3_ACCESS_KEY"];
        S3SecretKey = credentials["S3_SECRET_KEY"];
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (!Directory.Exists(Dir))
        {
            return;
        }

        await RunScriptAsync("stop", Dir);
        Directory.Delete(Dir, recursive: true);
    }

    /// <summary>A fresh tempauth token and the account's storage URL, as a user of Swift gets them.</summary>
    public async Task<(string Token, string StorageUrl)> AuthenticateAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, AuthUrl);
        request.Headers.Add("X-Auth-User", User);
        request.Headers.Add("X-Auth-Key", Key);
        using var response = await _http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (response.Headers.GetValues("X-Auth-Token").First(), response.Headers.GetValues("X-Storage-Url").First());
    }

    /// <summary>Names and sizes of a container's objects whose names start with <paramref name="prefix"/>, straight from Swift.</summary>
    public async Task<List<(string Name, long Bytes)>> ListAsync(string container, string prefix = "")
    {
        var (token, storageUrl) = await AuthenticateAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{storageUrl}/{Uri.EscapeDataString(container)}?format=json&prefix={Uri.EscapeDataString(prefix)}");
        request.Headers.Add("X-Auth-Token", token);
        using var response = await _http.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }

        response.EnsureSuccessStatusCode();
        var listing = (await response.Content.ReadFromJsonAsync<JsonArray>())!;
        return [.. listing.Select(o => ((string)o!["name"]!, (long)o["bytes"]!))];
    }

    /// <summary>A GET of <paramref name="url"/> with a valid token.</summary>
    public async Task<byte[]> GetAsync(string url)
    {
        var (token, _) = await AuthenticateAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("X-Auth-Token", token);
        using var response = await _http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsByteArrayAsync();
    }

    /// <summary>
    /// Forgets every tempauth token (they live only in memcached), as an expiry or a revocation would: the next request
    /// with an old token gets 401.
    /// </summary>
    public async Task ForgetTokensAsync()
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port + 4);
        var stream = client.GetStream();
        await stream.WriteAsync("flush_all\r\n"u8.ToArray());
        var answer = new byte[64];
        var n = await stream.ReadAsync(answer);
        Assert.Equal("OK\r\n", System.Text.Encoding.ASCII.GetString(answer, 0, n));
    }

    private static string? FindSkipReason()
    {
        if (Environment.GetEnvironmentVariable("HOARD_TEST_NO_SWIFT") == "1")
        {
            return "HOARD_TEST_NO_SWIFT=1: the Swift and S3 backup storage drivers are not tested on this machine.";
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
