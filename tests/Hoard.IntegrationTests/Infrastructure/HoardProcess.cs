using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Reflection;

namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>
/// One hoard-server process with some of the roles (<c>--roles</c>), as started on a host of a distributed deployment:
/// its own port, a shared data dir and state DB, settings (the broker URL with its password) in its environment only.
/// </summary>
public sealed class HoardProcess : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _log = new();
    private readonly IReadOnlyList<string> _arguments;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private Process? _process;

    public HoardProcess(string name, string roles, int port, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        Name = name;
        Roles = roles;
        BaseUrl = $"http://127.0.0.1:{port}";
        _arguments = arguments;
        _environment = environment;
    }

    public string Name { get; }

    public string Roles { get; }

    public string BaseUrl { get; }

    public int Pid => _process?.Id ?? 0;

    public bool HasExited => _process is null || _process.HasExited;

    public string Log => string.Join('\n', _log.TakeLast(150));

    public bool Logged(Func<string, bool> match) => _log.Any(match);

    /// <summary>Starts the process (not waiting for it: several start together, as on a cluster's boot).</summary>
    public void Start()
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
            WorkingDirectory = Path.GetDirectoryName(ServerAssembly())!,
        };
        foreach (var argument in new[] { ServerAssembly(), "--roles", Roles, $"--Hoard:Listen={BaseUrl}" }.Concat(_arguments))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }

        _log.Clear();
        _process = Process.Start(start) ?? throw new InvalidOperationException($"{Name} did not start.");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _process.StandardInput.Close();
    }

    /// <summary>Waits until the process answers its health endpoint (every role serves it).</summary>
    public async Task WaitReadyAsync(double seconds = 90)
    {
        using var probe = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(5) };
        await Poll.UntilAsync(async () =>
        {
            Assert.False(HasExited, $"{Name} ({Roles}) exited while starting:\n{Log}");
            try
            {
                return (await probe.GetAsync("/hoard/health")).StatusCode == HttpStatusCode.OK;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }, $"{Name} ({Roles}) did not answer /hoard/health on {BaseUrl}", seconds, () => Log, intervalMs: 200);
    }

    /// <summary>SIGKILL, as a crashed host: no lease is released, guests (in their own sessions) keep running.</summary>
    public async Task KillAsync()
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        process.Kill(entireProcessTree: false);
        await Poll.UntilAsync(() => Task.FromResult(process.HasExited), $"{Name} did not die on SIGKILL", 15, intervalMs: 20);
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15)).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        _process?.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        _log.Enqueue(line);
        while (_log.Count > 3000 && _log.TryDequeue(out _))
        {
        }
    }

    internal static string ServerAssembly()
    {
        var configuration = typeof(HoardProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hoard.slnx")))
        {
            dir = dir.Parent;
        }

        Assert.True(dir is not null, $"No Hoard.slnx above {AppContext.BaseDirectory}");
        return Path.Combine(dir.FullName, "src", "Hoard.Server", "bin", configuration, "net10.0", "hoard-server.dll");
    }

    private static string DotnetHost() =>
        Environment.ProcessPath is { } self && Path.GetFileName(self) == "dotnet" ? self : "dotnet";
}
