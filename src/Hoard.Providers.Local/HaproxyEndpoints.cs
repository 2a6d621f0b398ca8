using System.Diagnostics;
using System.Globalization;
using System.Text;
using Hoard.Core.Compute;
using Microsoft.Extensions.Logging;

namespace Hoard.Providers.Local;

/// <summary>
/// Write endpoints through HAProxy (Debian's <c>haproxy</c>), one process per Hoard server in master-worker mode,
/// daemonised so that connections outlive a restart of hoard-server. Each replication set is a TCP <c>listen</c> section
/// on <see cref="Address"/> and the set's port with one server, the set's current source, health-checked every 500 ms
/// (connections are refused at once, not hung, while the source is down). A change rewrites the whole configuration and
/// reloads the master (SIGUSR2): the new worker takes the listeners, and the old one's connections, which lead to a server
/// that is no longer the source, are cut after <c>hard-stop-after</c>. No sets: no process.
/// </summary>
public sealed partial class HaproxyEndpoints(LocalOptions options, ILogger<HaproxyEndpoints> logger) : IWriteEndpointProvider
{
    public const string ProviderName = "haproxy";

    private readonly SemaphoreSlim _gate = new(1, 1);

    public string Name => ProviderName;

    public string? UnavailableReason => null;

    /// <summary>The host side of this server's loopback network (instances have .2 upwards).</summary>
    public string Address => $"127.{options.LoopbackSecondOctet}.0.1";

    private string Directory => Path.Combine(options.DataDir, "haproxy");

    private string ConfigPath => Path.Combine(Directory, "haproxy.cfg");

    private string PidPath => Path.Combine(Directory, "haproxy.pid");

    public async Task ReplaceAllAsync(IReadOnlyList<WriteEndpoint> endpoints, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var started = Stopwatch.GetTimestamp();
            var master = RunningMaster();
            if (endpoints.Count == 0)
            {
                if (master is { } pid)
                {
                    Posix.Signal(pid, Posix.SigTerm);
                    LogStopped(pid);
                }

                // On a fresh data dir there is no haproxy directory yet (File.Delete throws for a missing directory).
                if (File.Exists(PidPath))
                    File.Delete(PidPath);
                return;
            }

            var config = Render(Address, endpoints);
            var previous = master is not null && File.Exists(ConfigPath) ? await File.ReadAllTextAsync(ConfigPath, cancellationToken) : "";
            if (previous == config)
                return;
            System.IO.Directory.CreateDirectory(Directory);
            var candidate = ConfigPath + ".new";
            await File.WriteAllTextAsync(candidate, config, cancellationToken);
            var check = await HostTool.RunAsync("haproxy", ["-c", "-q", "-f", candidate], cancellationToken);
            if (check.ExitCode != 0)
                throw new InvalidOperationException($"haproxy refused the endpoint configuration: {check.Stderr.Trim()} {check.Stdout.Trim()}");
            File.Move(candidate, ConfigPath, overwrite: true);

            if (master is { } running)
            {
                Posix.Signal(running, Posix.SigUsr2);
            }
            else
            {
                var start = await HostTool.RunAsync("haproxy", ["-W", "-D", "-f", ConfigPath, "-p", PidPath], cancellationToken);
                if (start.ExitCode != 0)
                    throw new InvalidOperationException($"haproxy did not start (exit {start.ExitCode}): {start.Stderr.Trim()}");
            }

            // A new endpoint is shown to users as soon as this returns: it must take connections by then.
            foreach (var endpoint in endpoints.Where(e => !previous.Contains($"{Address}:{e.Port}\n", StringComparison.Ordinal)))
                await WaitUntilListeningAsync(endpoint.Port, cancellationToken);
            LogApplied(endpoints.Count, master is null ? "started" : "reloaded", Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task WaitUntilListeningAsync(int port, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            using var probe = new System.Net.Sockets.TcpClient();
            try
            {
                await probe.ConnectAsync(System.Net.IPAddress.Parse(Address), port, cancellationToken);
                return;
            }
            catch (System.Net.Sockets.SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(3))
            {
                await Task.Delay(20, cancellationToken);
            }
        }
    }

    /// <summary>The configuration for <paramref name="endpoints"/>, one <c>listen</c> section each, in a stable order.</summary>
    public static string Render(string address, IReadOnlyList<WriteEndpoint> endpoints)
    {
        var text = new StringBuilder();
        text.Append("# Written by hoard-server: replication sets' write endpoints. Changes are overwritten.\n")
            .Append("global\n    master-worker\n    hard-stop-after 1s\n\n")
            // A source that refuses connections (it died) fails the client at once rather than after retries.
            .Append("defaults\n    mode tcp\n    retries 0\n    timeout connect 1s\n    timeout client 1h\n    timeout server 1h\n\n");
        foreach (var endpoint in endpoints.OrderBy(e => e.Port))
        {
            text.Append("listen set_").Append(endpoint.SetId.Replace("-", "", StringComparison.Ordinal)).Append('\n')
                .Append("    bind ").Append(address).Append(':').Append(endpoint.Port.ToString(CultureInfo.InvariantCulture)).Append('\n');
            if (endpoint.TargetAddress is { } target)
            {
                text.Append("    server source ").Append(target).Append(':').Append(endpoint.TargetPort.ToString(CultureInfo.InvariantCulture))
                    .Append(" check inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions\n");
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The master's pid when this server's haproxy runs (its pid file names a live haproxy with our configuration).</summary>
    private int? RunningMaster()
    {
        if (!File.Exists(PidPath) || !int.TryParse(File.ReadAllText(PidPath).Trim(), CultureInfo.InvariantCulture, out var pid))
            return null;
        try
        {
            var commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
            return commandLine.Contains("haproxy", StringComparison.Ordinal) && commandLine.Contains(ConfigPath, StringComparison.Ordinal) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Write endpoints: {Count} set(s), haproxy {Action} in {Milliseconds:0.0} ms")]
    private partial void LogApplied(int count, string action, double milliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Write endpoints: none left; haproxy {Pid} stopped")]
    private partial void LogStopped(int pid);
}

/// <summary>Chooses the write endpoint provider: HAProxy when it is installed.</summary>
public static class WriteEndpointSelection
{
    public static IWriteEndpointProvider Create(LocalOptions options, ILoggerFactory loggers) =>
        HostTool.Find("haproxy") is null
            ? new NoWriteEndpoints("HAProxy is not installed on this host (Debian package haproxy)")
            : new HaproxyEndpoints(options, loggers.CreateLogger<HaproxyEndpoints>());
}

/// <summary>Where HAProxy is not installed: sets have no endpoint, and <c>show</c> says why.</summary>
public sealed class NoWriteEndpoints(string reason) : IWriteEndpointProvider
{
    public string Name => ResourceLimits.None;

    public string? UnavailableReason => reason;

    public string Address => "";

    public Task ReplaceAllAsync(IReadOnlyList<WriteEndpoint> endpoints, CancellationToken cancellationToken) => Task.CompletedTask;
}
