using System.Diagnostics;
using Hoard.Bench.Provisioning;
using RabbitMQ.Client;

namespace Hoard.Bench.Scale;

/// <summary>
/// A private RabbitMQ from Debian's package for <c>--rabbitmq</c>: 127.0.0.1 at free ports, its own directory, node name
/// and epmd (as tests/Shared/RabbitMqBroker.cs starts it for the tests). The URL carries a random password, so it is
/// passed to hoard-server and the bare conductor in their environment, never on a command line.
/// </summary>
internal sealed class PrivateBroker : IAsyncDisposable
{
    private const string Server = "/usr/lib/rabbitmq/bin/rabbitmq-server";
    private const string Epmd = "/usr/bin/epmd";

    private readonly string _dir;
    private readonly int _port = ByHandMariaDb.FreePort();
    private readonly int _distPort = ByHandMariaDb.FreePort();
    private readonly int _epmdPort = ByHandMariaDb.FreePort();
    private readonly string _password = Guid.NewGuid().ToString("N");
    private Process? _epmd;
    private Process? _node;

    private PrivateBroker(string dir) => _dir = dir;

    public Uri Url => new($"amqp://hoard:{_password}@127.0.0.1:{_port}/");

    public static async Task<PrivateBroker> StartAsync(string dir, TimeSpan deadline, CancellationToken cancellationToken)
    {
        if (!File.Exists(Server) || !File.Exists(Epmd))
            throw new InvalidOperationException($"--rabbitmq needs Debian's rabbitmq-server ({Server}); scripts/install-deps.sh installs it.");
        Directory.CreateDirectory(dir);
        var broker = new PrivateBroker(dir);
        File.WriteAllText(Path.Combine(dir, "rabbitmq.conf"),
            $"listeners.tcp.default = 127.0.0.1:{broker._port}\ndefault_user = hoard\ndefault_pass = {broker._password}\nloopback_users = none\n");
        File.WriteAllText(Path.Combine(dir, "enabled_plugins"), "[].\n");
        File.WriteAllText(Path.Combine(dir, "none.env"), "");
        var cookie = Path.Combine(dir, ".erlang.cookie");
        File.WriteAllText(cookie, Guid.NewGuid().ToString("N"));
        File.SetUnixFileMode(cookie, UnixFileMode.UserRead);
        try
        {
            broker._epmd = broker.Start(Epmd, ["-address", "127.0.0.1", "-port", broker._epmdPort.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            broker._node = broker.Start(Server, []);
            var factory = new ConnectionFactory { Uri = broker.Url };
            var started = Stopwatch.GetTimestamp();
            while (true)
            {
                try
                {
                    await using var connection = await factory.CreateConnectionAsync(cancellationToken);
                    return broker;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    if (broker._node.HasExited || Stopwatch.GetElapsedTime(started) > deadline)
                        throw new InvalidOperationException($"RabbitMQ did not answer on port {broker._port} within {deadline.TotalSeconds:0} s: {e.Message}");
                    await Task.Delay(200, cancellationToken);
                }
            }
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }
    }

    private Process Start(string file, string[] arguments)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        info.Environment["HOME"] = _dir;
        info.Environment["RABBITMQ_NODENAME"] = $"hoardscale{_port}@localhost";
        info.Environment["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1";
        info.Environment["RABBITMQ_NODE_PORT"] = _port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["RABBITMQ_DIST_PORT"] = _distPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["RABBITMQ_MNESIA_BASE"] = Path.Combine(_dir, "mnesia");
        info.Environment["RABBITMQ_LOG_BASE"] = Path.Combine(_dir, "log");
        info.Environment["RABBITMQ_CONFIG_FILE"] = Path.Combine(_dir, "rabbitmq.conf");
        info.Environment["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(_dir, "enabled_plugins");
        info.Environment["RABBITMQ_PID_FILE"] = Path.Combine(_dir, "rabbit.pid");
        info.Environment["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(_dir, "none.env");
        info.Environment["ERL_EPMD_ADDRESS"] = "127.0.0.1";
        info.Environment["ERL_EPMD_PORT"] = _epmdPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}";
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in new[] { _node, _epmd })
        {
            if (process is { HasExited: false })
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }

            process?.Dispose();
        }
    }
}
