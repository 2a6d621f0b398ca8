using System.Runtime.InteropServices;
using Hoard.Contracts.Hosts;
using Hoard.Messaging.RabbitMq;
using Hoard.Providers.Local;
using Microsoft.Extensions.Logging;

namespace Hoard.HostAgent;

/// <summary>
/// <c>hoard-host-agent --config &lt;file&gt;</c>: one per machine of the <c>hosts</c> compute provider. Joins the
/// broker, answers hoard-server's compute and volume calls on <c>host.&lt;name&gt;</c> with the local providers, and
/// reports its capacity. Guests it starts keep running when it stops, as they do when hoard-server stops.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is not ["--config", var configPath])
        {
            await Console.Error.WriteLineAsync("usage: hoard-host-agent --config <host-agent.json>");
            return 2;
        }

        HostAgentConfig config;
        try
        {
            config = HostAgentConfig.Load(configPath);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"hoard-host-agent: {e.Message}");
            return 2;
        }

        using var loggers = LoggerFactory.Create(b =>
        {
            if (config.JsonLogs)
            {
                b.AddJsonConsole();
            }
            else
            {
                b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
            }
        });
        var log = loggers.CreateLogger("Hoard.HostAgent");
        if ((File.GetUnixFileMode(configPath) & (UnixFileMode.OtherRead | UnixFileMode.GroupRead)) != 0)
        {
            log.LogWarning("{Path} is readable by others; it holds the broker password (chmod 600 it)", configPath);
        }

        using var stopping = new CancellationTokenSource();
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stopping.Cancel(); });
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stopping.Cancel(); });

        var local = new LocalOptions
        {
            DataDir = config.DataDir,
            BusSocket = Path.Combine(config.DataDir, "run", "bus.sock"),
            RabbitMqUrl = config.RabbitMqUrl,
            GuestAssembly = config.GuestAssembly,
            OsUser = config.OsUser,
            AddressPool = config.ExpandedPool(),
            HeartbeatIntervalSeconds = config.HeartbeatIntervalSeconds,
            LoopbackSecondOctet = config.LoopbackSecondOctet,
            JsonLogs = config.JsonLogs,
        };
        Directory.CreateDirectory(config.DataDir);
        var account = new OsAccount(local);
        var volumes = VolumeProviderSelection.Create(config.VolumeProvider, local, account, loggers);
        var compute = new LocalComputeProvider(local, account, loggers.CreateLogger<LocalComputeProvider>(), volumes);
        var handler = new HostAgentHandler(compute, volumes);

        // Restricted: with its own broker user (hoard-host-<name>) it may declare only its own queues.
        var options = new RabbitMqOptions
        {
            Url = config.RabbitMqUrl, ClientName = "hoard-host-agent " + config.Name, Restricted = true,
            InboxOwner = BrokerNames.HostInboxOwner(config.Name),
        };
        log.LogInformation("hoard-host-agent {Pid}: host {Name} at {Address}, {Pool} pool addresses, joining {Url}",
            Environment.ProcessId, config.Name, config.Address, local.AddressPool.Count, options.SafeUrl);
        if (options.User != BrokerNames.HostUser(config.Name))
        {
            log.LogWarning("rabbit_mq_url names broker user {User}, not this host's own ({HostUser}): whoever can read this " +
                "machine's guests' or agent's config can act as that user (docs/distributed.md, \"Broker users\")",
                options.User, BrokerNames.HostUser(config.Name));
        }

        try
        {
            await using var bus = await RabbitMqBus.ConnectAsync(options, TimeProvider.System, loggers.CreateLogger<RabbitMqBus>(), stopping.Token);
            await using var subscription = await bus.SubscribeAsync(HostTopics.Host(config.Name), handler.HandleAsync, stopping.Token);
            var reporter = new CapacityReporter(config, bus, TimeProvider.System);
            var measured = reporter.Measure();
            log.LogInformation("Offering {RamMb} MB of RAM and {DiskGb} GB of disk; answering on {Topic}", measured.RamMb, measured.DiskGb,
                HostTopics.Host(config.Name));
            await reporter.RunAsync(stopping.Token);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }

        log.LogInformation("Stopping; guests keep running");
        return 0;
    }
}
