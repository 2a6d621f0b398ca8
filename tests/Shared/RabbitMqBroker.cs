using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Hoard.Messaging.RabbitMq;
using RabbitMQ.Client;

namespace Hoard.Tests.Shared;

/// <summary>
/// A private RabbitMQ from Debian's package, on 127.0.0.1 at random ports with its own temp dir, node name and epmd
/// (host-notes §5), started once per test run, with the management plugin on another random loopback port
/// (<see cref="ManagementUrl"/>; its admin is the <see cref="Options"/> user). Skipped, saying why, where
/// rabbitmq-server is not installed.
/// Linked into the test projects that need it.
/// </summary>
public sealed class RabbitMqBroker : IAsyncLifetime
{
    private const string Server = "/usr/lib/rabbitmq/bin/rabbitmq-server";
    private const string Epmd = "/usr/bin/epmd";

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("hoard-rmq-");
    private readonly int _port = FreePort();
    private readonly int _distPort = FreePort();
    private readonly int _epmdPort = FreePort();
    private readonly int _managementPort = FreePort();
    private readonly string _password = Guid.NewGuid().ToString("N");
    private Process? _epmd;
    private Process? _node;

    /// <summary>
    /// Another address the broker also listens on (a bridge's, for clients in network namespaces). An init property, not a
    /// constructor: xunit builds collection fixtures through their only public constructor.
    /// </summary>
    public string? AlsoListenOn { get; init; }

    /// <summary><see cref="Options"/>' URL with another address of the broker (one it listens on).</summary>
    public Uri UrlOn(string address) => new UriBuilder(Options.Url) { Host = address }.Uri;

    public static string? SkipReason { get; } =
        Environment.GetEnvironmentVariable("HOARD_TEST_NO_RABBITMQ") == "1" ? "HOARD_TEST_NO_RABBITMQ=1"
        : !File.Exists(Server) || !File.Exists(Epmd) ? $"RabbitMQ is not installed ({Server}); scripts/install-deps.sh installs it"
        : null;

    /// <summary>The management HTTP API (rabbitmq_management), on 127.0.0.1 only.</summary>
    public Uri ManagementUrl => new($"http://127.0.0.1:{_managementPort}/");

    /// <summary>The admin's user name and password (the <see cref="Options"/> user).</summary>
    public (string User, string Password) Admin => ("hoard", _password);

    /// <summary>How long the last start took until both AMQP and the management API answered.</summary>
    public TimeSpan LastStartTook { get; private set; }

    public RabbitMqOptions Options => new()
    {
        Url = new Uri($"amqp://hoard:{_password}@127.0.0.1:{_port}/"),
        RecoveryInterval = TimeSpan.FromMilliseconds(250),
        ClientName = "hoard-tests",
    };

    public async Task InitializeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }

        File.WriteAllText(Path.Combine(_dir.FullName, "rabbitmq.conf"),
            $"listeners.tcp.default = 127.0.0.1:{_port}\ndefault_user = hoard\ndefault_pass = {_password}\n" +
            "loopback_users = none\n" +
            $"management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = {_managementPort}\n" + (AlsoListenOn is { } also ? $"listeners.tcp.other = {also}:{_port}\n" : ""));
        File.WriteAllText(Path.Combine(_dir.FullName, "enabled_plugins"), "[rabbitmq_management].\n");
        File.WriteAllText(Path.Combine(_dir.FullName, "none.env"), "");
        var cookie = Path.Combine(_dir.FullName, ".erlang.cookie");
        File.WriteAllText(cookie, Guid.NewGuid().ToString("N"));
        File.SetUnixFileMode(cookie, UnixFileMode.UserRead);

        _epmd = Start(Epmd, ["-address", "127.0.0.1", "-port", _epmdPort.ToString()]);
        await StartNodeAsync();
    }

    /// <summary>Kills the broker (as a crash would) and starts it again on the same data dir and port.</summary>
    public async Task RestartAsync()
    {
        StopNode();
        await StartNodeAsync();
    }

    /// <summary>Kills the broker, as a crash would; <see cref="StartAsync"/> brings it back.</summary>
    public void Kill() => StopNode();

    public Task StartAsync() => StartNodeAsync();

    public Task DisposeAsync()
    {
        StopNode();
        if (_epmd is { HasExited: false })
        {
            _epmd.Kill();
            _epmd.WaitForExit();
        }

        _dir.Delete(recursive: true);
        return Task.CompletedTask;
    }

    private async Task StartNodeAsync()
    {
        _node = Start(Server, []);
        var factory = new ConnectionFactory { Uri = Options.Url };
        var watch = Stopwatch.StartNew();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("hoard:" + _password)));
        while (true)
        {
            try
            {
                await using var connection = await factory.CreateConnectionAsync();
                // The plugin starts with the node, but its listener may come a moment after AMQP's.
                (await http.GetAsync(new Uri(ManagementUrl, "api/overview"))).EnsureSuccessStatusCode();
                LastStartTook = watch.Elapsed;
                return;
            }
            catch (Exception) when (watch.Elapsed < TimeSpan.FromSeconds(60) && !_node.HasExited)
            {
                await Task.Delay(100);
            }
            catch (Exception e)
            {
                var log = string.Join("\n", Directory.EnumerateFiles(Path.Combine(_dir.FullName, "log"))
                    .SelectMany(f => File.ReadLines(f).TakeLast(20)));
                throw new InvalidOperationException($"RabbitMQ did not answer on port {_port} within 60 s: {e.Message}\n{log}", e);
            }
        }
    }

    private void StopNode()
    {
        if (_node is { HasExited: false })
        {
            _node.Kill(entireProcessTree: true);
            _node.WaitForExit();
        }
    }

    private Process Start(string file, string[] arguments)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var d = _dir.FullName;
        info.Environment["HOME"] = d;
        info.Environment["RABBITMQ_NODENAME"] = $"hoardtest{_port}@localhost";
        info.Environment["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1";
        info.Environment["RABBITMQ_NODE_PORT"] = _port.ToString();
        info.Environment["RABBITMQ_DIST_PORT"] = _distPort.ToString();
        info.Environment["RABBITMQ_MNESIA_BASE"] = Path.Combine(d, "mnesia");
        info.Environment["RABBITMQ_LOG_BASE"] = Path.Combine(d, "log");
        info.Environment["RABBITMQ_CONFIG_FILE"] = Path.Combine(d, "rabbitmq.conf");
        info.Environment["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(d, "enabled_plugins");
        info.Environment["RABBITMQ_PID_FILE"] = Path.Combine(d, "rabbit.pid");
        info.Environment["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(d, "none.env");
        info.Environment["ERL_EPMD_ADDRESS"] = "127.0.0.1";
        info.Environment["ERL_EPMD_PORT"] = _epmdPort.ToString();
        info.Environment["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}";
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
