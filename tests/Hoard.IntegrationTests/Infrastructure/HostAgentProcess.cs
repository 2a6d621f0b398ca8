using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;

namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>
/// One hoard-host-agent (the built binary) started in a simulated host's network namespace with <c>nsenter --net</c>
/// (only the network is the host's own; cgroups and mounts are this machine's, as on a real host). Its config file is
/// 0600 and holds the broker URL; nothing secret is on its command line.
/// </summary>
internal sealed class HostAgentProcess : IDisposable
{
    private readonly ConcurrentQueue<string> _log = new();
    private readonly string _configPath;
    private readonly string _namespace;
    private Process? _process;

    public HostAgentProcess(string name, string ns, string address, IReadOnlyList<string> pool, Uri brokerUrl, string dataDir, long ramMb)
    {
        Name = name;
        DataDir = dataDir;
        _namespace = ns;
        Directory.CreateDirectory(dataDir);
        _configPath = Path.Combine(dataDir, "host-agent.json");
        var config = new JsonObject
        {
            ["name"] = name, ["address"] = address, ["rabbit_mq_url"] = brokerUrl.ToString(), ["data_dir"] = dataDir,
            ["address_pool"] = new JsonArray([.. pool.Select(a => (JsonNode)a)]), ["ram_mb"] = ramMb, ["disk_gb"] = 50,
            ["report_interval_seconds"] = 1, ["volume_provider"] = "directory",
        };
        using (var stream = new FileStream(_configPath, new FileStreamOptions
               {
                   Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
               }))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(config.ToJsonString());
        }
    }

    public string Name { get; }

    public string DataDir { get; }

    public string Log => string.Join('\n', _log.TakeLast(100));

    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    public void Start()
    {
        var dll = AgentAssembly();
        Assert.True(File.Exists(dll), $"hoard-host-agent is not built at {dll}; build the solution first.");
        var start = new ProcessStartInfo("nsenter")
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
        };
        foreach (var argument in new[] { $"--net=/run/netns/{_namespace}", "--", DotnetHost(), dll, "--config", _configPath })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        _process = Process.Start(start) ?? throw new InvalidOperationException("hoard-host-agent did not start.");
        _process.OutputDataReceived += (_, e) => Add(e.Data);
        _process.ErrorDataReceived += (_, e) => Add(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _process.StandardInput.Close();
    }

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process?.Dispose();
        _process = null;
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            _log.Enqueue(line);
            while (_log.Count > 1000 && _log.TryDequeue(out _))
            {
            }
        }
    }

    private static string AgentAssembly()
    {
        var configuration = typeof(HostAgentProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hoard.slnx")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir?.FullName ?? ".", "src", "Hoard.HostAgent", "bin", configuration, "net10.0", "hoard-host-agent.dll");
    }

    private static string DotnetHost() =>
        Environment.ProcessPath is { } self && Path.GetFileName(self) == "dotnet" ? self : "/usr/bin/dotnet";
}
