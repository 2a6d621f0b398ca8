using Hoard.Tests.Shared;

namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>
/// Three hosts simulated as network namespaces on a bridge (<see cref="SimulatedHosts"/>), a private RabbitMQ that also
/// listens on the bridge, a hoard-server with <c>Hoard:Compute=hosts</c> and <c>Hoard:Bus=rabbitmq</c> (automatic failover
/// on, broker users per guest and per host), and one hoard-host-agent per namespace, each with the broker user an admin
/// made for it through <c>mgmt/hosts/{name}/broker-user</c>. The hosts offer 4096, 4096 and 8192 MB of RAM, so that placement by
/// free capacity is visible. Everything is removed afterwards, in reverse order, also after a failed start.
/// </summary>
public sealed class HostsClusterFixture : IAsyncLifetime
{
    public const int HostCount = 3;

    /// <summary>A host silent this long is down (the server's HostDownAfterSeconds).</summary>
    public const int HostDownAfterSeconds = 5;

    private static readonly long[] RamMb = [4096, 4096, 8192];
    private readonly List<HostAgentProcess> _agents = [];
    private SimulatedHosts? _hosts;
    private RabbitMqBroker? _broker;

    public static string? SkipReason { get; } = RabbitMqBroker.SkipReason ?? SimulatedHosts.SkipReason;

    internal HoardServerFixture Server { get; private set; } = null!;

    internal SimulatedHosts Hosts => _hosts!;

    internal RabbitMqBroker Broker => _broker!;

    internal IReadOnlyList<HostAgentProcess> Agents => _agents;

    /// <summary>Short: instance directories (and their sockets) live under it.</summary>
    public string Root { get; } = "/tmp/hoard-hx-" + Guid.NewGuid().ToString("N")[..6];

    public static string HostName(int n) => $"h{n}";

    public async Task InitializeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }

        try
        {
            _hosts = new SimulatedHosts(HostCount);
            _broker = new RabbitMqBroker { AlsoListenOn = _hosts.BridgeAddress };
            await _broker.InitializeAsync();
            Directory.CreateDirectory(Root);
            // The guests' OS user must reach its instance directories under the agents' data dirs.
            File.SetUnixFileMode(Root, (UnixFileMode)0b111_101_101);
            var server = new HoardServerFixture(new Dictionary<string, string>
            {
                ["Hoard__Bus"] = "rabbitmq",
                ["Hoard__RabbitMq__Url"] = _broker.Options.Url.ToString(),
                // Broker users of their own for every guest and agent (the admin is the URL's user).
                ["Hoard__RabbitMq__ManagementUrl"] = _broker.ManagementUrl.ToString(),
                ["Hoard__Compute"] = "hosts",
                ["Hoard__HostDownAfterSeconds"] = HostDownAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Hoard__AutomaticFailover"] = "true",
            }) { AlsoListenOn = _hosts.BridgeAddress };
            // Assigned once started: a server that failed to start has already cleaned up after itself.
            await server.InitializeAsync();
            Server = server;
            for (var n = 1; n <= HostCount; n++)
            {
                // As an operator does before an agent's first start: its own broker user, made by an admin.
                var user = TroveClient.Expect(await Server.Client.PostAsync(Server.Admin, $"mgmt/hosts/{HostName(n)}/broker-user", null), 201)
                    .Object["broker_user"]!;
                var url = new UriBuilder(_broker.UrlOn(_hosts.BridgeAddress))
                {
                    UserName = user["name"]!.GetValue<string>(), Password = Uri.EscapeDataString(user["password"]!.GetValue<string>()),
                }.Uri;
                var agent = new HostAgentProcess(HostName(n), _hosts.Namespace(n), _hosts.HostAddress(n), _hosts.Pool(n),
                    url, Path.Combine(Root, HostName(n)), RamMb[n - 1]);
                _agents.Add(agent);
                agent.Start();
            }

            await Poll.UntilAsync(async () =>
            {
                var listed = TroveClient.Expect(await Server.Client.GetAsync(Server.Admin, "mgmt/hosts"), 200).Object["hosts"]!.AsArray();
                return listed.Count(h => h!["status"]!.GetValue<string>() == "up") == HostCount;
            }, $"not all {HostCount} host agents reported to hoard-server", 60, () => AgentLogs);
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the agent of host <paramref name="n"/> again (after <see cref="SimulatedHosts.Kill"/>) and waits until it is up.</summary>
    internal async Task ReviveAsync(int n)
    {
        _agents[n - 1].Dispose();
        _agents[n - 1].Start();
        await Poll.UntilAsync(async () =>
        {
            var shown = await Server.Client.GetAsync(Server.Admin, $"mgmt/hosts/{HostName(n)}");
            return shown.Status == 200 && shown.Object["host"]!["status"]!.GetValue<string>() == "up";
        }, $"host {HostName(n)} did not come back up", 60, () => AgentLogs);
    }

    internal string AgentLogs => string.Join("\n", _agents.Select(a => $"--- {a.Name}\n{a.Log}"));

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        foreach (var agent in _agents)
        {
            agent.Dispose();
        }

        _hosts?.Dispose();
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }

        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}
