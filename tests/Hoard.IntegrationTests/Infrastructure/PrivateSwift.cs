using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>
/// A private OpenStack Swift (tempauth and s3api on one proxy port), started by <c>scripts/swift-aio.sh</c> on free
/// loopback ports in a temporary directory, stopped and removed by <see cref="DisposeAsync"/>. Its credentials are read
/// from the directory's <c>credentials</c> file and never printed.
/// </summary>
public sealed class PrivateSwift : IAsyncDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Dictionary<string, string> _credentials;

    private PrivateSwift(string dir, Dictionary<string, string> credentials)
    {
        Dir = dir;
        _credentials = credentials;
    }

    /// <summary>Why Swift-backed tests do not run here, or null when they do.</summary>
    public static string? SkipReason { get; } = FindSkipReason();

    public string Dir { get; }

    public string AuthUrl => _credentials["SWIFT_AUTH_URL"];

    public string User => _credentials["SWIFT_USER"];

    /// <summary>The tempauth key, which is also the s3api secret key.</summary>
    public string Key => _credentials["SWIFT_KEY"];

    /// <summary>The proxy's base URL, where s3api answers too.</summary>
    public string Endpoint => _credentials["S3_ENDPOINT"];

    public static async Task<PrivateSwift> StartAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hoard-it-swift-" + Guid.NewGuid().ToString("N")[..8]);
        for (var attempt = 1; ; attempt++)
        {
            var (exitCode, stderr) = await RunScriptAsync("start", dir, FreePortRange(5).ToString(CultureInfo.InvariantCulture));
            if (exitCode == 0)
            {
                break;
            }

            // Another process may have taken one of the ports between the check and the start.
            if (attempt == 3)
            {
                await RunScriptAsync("stop", dir);
                throw new InvalidOperationException($"swift-aio.sh start failed ({exitCode}): {stderr}");
            }
        }

        var credentials = File.ReadAllLines(Path.Combine(dir, "credentials"))
            .Select(l => l.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1]);
        return new PrivateSwift(dir, credentials);
    }

    /// <summary>A fresh tempauth token and the account's storage URL, as a user of Swift gets them.</summary>
    public async Task<(string Token, string StorageUrl)> AuthenticateAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, AuthUrl);
        request.Headers.Add("X-Auth-User", User);
        request.Headers.Add("X-Auth-Key", Key);
        using var response = await _http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"Swift tempauth answered {(int)response.StatusCode}");
        return (response.Headers.GetValues("X-Auth-Token").First(), response.Headers.GetValues("X-Storage-Url").First());
    }

    /// <summary>A GET straight to Swift with a valid token: the status and, when 200, the body's length.</summary>
    public async Task<(HttpStatusCode Status, long Length)> GetAsync(string url)
    {
        var (token, _) = await AuthenticateAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("X-Auth-Token", token);
        using var response = await _http.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        return (response.StatusCode, body.LongLength);
    }

    /// <summary>The names of a container's objects that start with <paramref name="prefix"/>; none when the container is missing.</summary>
    public async Task<IReadOnlyList<string>> ListAsync(string container, string prefix)
    {
        var (token, storageUrl) = await AuthenticateAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{storageUrl}/{Uri.EscapeDataString(container)}?prefix={Uri.EscapeDataString(prefix)}");
        request.Headers.Add("X-Auth-Token", token);
        using var response = await _http.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }

        Assert.True(response.IsSuccessStatusCode, $"Listing Swift container {container} answered {(int)response.StatusCode}");
        return (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
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
