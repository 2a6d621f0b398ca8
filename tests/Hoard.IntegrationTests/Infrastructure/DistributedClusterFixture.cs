using System.Diagnostics;
using System.Globalization;
using Hoard.Persistence;
using Hoard.Tests.Shared;

namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>
/// Distributed mode with every part at once, as issue 8 deploys it: a private PostgreSQL state DB, a private RabbitMQ
/// listening on loopback and on the bridge of three simulated hosts (<see cref="SimulatedHosts"/>, one
/// hoard-host-agent in each), and hoard-server split into separate processes — two <c>--roles api</c>, two
/// <c>--roles taskmanager</c>, one <c>--roles conductor</c> — all with <c>Hoard:Compute=hosts</c>,
/// <c>Hoard:StateDb=postgresql</c> and <c>Hoard:Bus=rabbitmq</c>. The control-plane processes share one data dir (the
/// keys every host must share), the state DB's password is in a 0600 file and the broker's URL in their environment, so
/// nothing secret is on a command line. The lease is short (6 s) so that a takeover shows quickly.
/// Disposal deletes every instance, then stops the processes, the agents, the namespaces (with whatever still runs in
/// them) and the bridge, the broker and PostgreSQL, and removes the temp dirs; also after a failed start.
/// </summary>
public sealed class DistributedClusterFixture : IAsyncLifetime
{
    public const double LeaseSeconds = 6;
    public const int HostCount = 3;

    private readonly List<HostAgentProcess> _agents = [];
    private readonly DirectoryInfo _secrets = Directory.CreateTempSubdirectory("hoard-dc-secrets-");
    private SimulatedHosts? _hosts;
    private RabbitMqBroker? _broker;
    private PostgreSqlStateServer? _postgres;
    private string _connectionString = "";
    private string _passwordFile = "";
    private int _octet;
    private int _taskManagers;

    public static string? SkipReason { get; } =
        RabbitMqBroker.SkipReason ?? SimulatedHosts.SkipReason ?? PostgreSqlStateServer.SkipReason;

    /// <summary>Short on purpose: sockets inside it must stay under the 108-byte sun_path limit.</summary>
    public string DataDir { get; } = "/tmp/hoard-dc-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>The hosts' data dirs (instance directories, volumes) live under it.</summary>
    public string HostsRoot { get; } = "/tmp/hoard-dh-" + Guid.NewGuid().ToString("N")[..6];

    internal SimulatedHosts Hosts => _hosts!;

    internal RabbitMqBroker Broker => _broker!;

    internal IReadOnlyList<HostAgentProcess> Agents => _agents;

    /// <summary>The state DB as the tests read it (with the password, which the processes read from their file).</summary>
    public StateDb StateDb { get; private set; } = null!;

    public List<HoardProcess> Apis { get; } = [];

    public List<HoardProcess> TaskManagers { get; } = [];

    public HoardProcess Conductor { get; private set; } = null!;

    public IEnumerable<HoardProcess> All => Apis.Concat(TaskManagers).Append(Conductor).Where(p => p is not null);

    /// <summary>The admin's credentials from admin-openrc.sh, naming the api process that wrote it.</summary>
    public IReadOnlyDictionary<string, string> OpenRc { get; private set; } = new Dictionary<string, string>();

    public string AdminPassword => OpenRc["OS_PASSWORD"];

    public TroveClient Client(int api = 0) => new(new HttpClient { BaseAddress = new Uri(Apis[api].BaseUrl), Timeout = TimeSpan.FromSeconds(100) });

    public static string HostName(int n) => $"h{n}";

    public string Logs => string.Join("\n", All.Select(p => $"===== {p.Name} ({p.Roles}, pid {p.Pid}) =====\n{p.Log}")) + "\n" + AgentLogs;

    public string AgentLogs => string.Join("\n", _agents.Select(a => $"===== agent {a.Name} =====\n{a.Log}"));

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
            _postgres = new PostgreSqlStateServer();
            await Task.WhenAll(_broker.InitializeAsync(), _postgres.InitializeAsync());
            var database = await _postgres.CreateDatabaseAsync();
            StateDb = StateDb.PostgreSql(_postgres.ConnectionString(database));
            _connectionString = $"Host=127.0.0.1;Port={_postgres.Port};Database={database};Username={PostgreSqlStateServer.User}";
            _passwordFile = Path.Combine(_secrets.FullName, "statedb.password");
            await File.WriteAllTextAsync(_passwordFile, _postgres.Password + "\n");
            File.SetUnixFileMode(_passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

            Directory.CreateDirectory(HostsRoot);
            // The guests' OS user must reach its instance directories under the agents' data dirs.
            File.SetUnixFileMode(HostsRoot, (UnixFileMode)0b111_101_101);
            for (var n = 1; n <= HostCount; n++)
            {
                var agent = new HostAgentProcess(HostName(n), _hosts.Namespace(n), _hosts.HostAddress(n), _hosts.Pool(n),
                    _broker.UrlOn(_hosts.BridgeAddress), Path.Combine(HostsRoot, HostName(n)), 4096);
                _agents.Add(agent);
                agent.Start();
            }

            _octet = HoardServerFixture.FreeLoopbackOctet();
            Apis.Add(NewProcess("api-1", "api"));
            Apis.Add(NewProcess("api-2", "api"));
            TaskManagers.Add(NewTaskManager());
            TaskManagers.Add(NewTaskManager());
            Conductor = NewProcess("conductor", "conductor");
            foreach (var process in All)
            {
                process.Start();
            }

            await Task.WhenAll(All.Select(p => p.WaitReadyAsync()));
            var openrc = Path.Combine(DataDir, "admin-openrc.sh");
            Assert.True(File.Exists(openrc), $"No api process wrote {openrc}:\n{Logs}");
            OpenRc = File.ReadAllLines(openrc)
                .Select(l => l.Trim())
                .Where(l => l.StartsWith("export ", StringComparison.Ordinal) && l.Contains('='))
                .Select(l => l["export ".Length..].Split('=', 2))
                .ToDictionary(kv => kv[0], kv => kv[1].Trim('"', '\''));
            Assert.Contains(OpenRc["OS_AUTH_URL"], Apis.Select(a => a.BaseUrl + "/v3"));

            var client = Client();
            var admin = await client.LoginAsync("admin", AdminPassword, "demo");
            await Poll.UntilAsync(async () =>
            {
                var listed = TroveClient.Expect(await client.GetAsync(admin, "mgmt/hosts"), 200).Object["hosts"]!.AsArray();
                return listed.Count(h => h!["status"]!.GetValue<string>() == "up") == HostCount;
            }, $"not all {HostCount} host agents reported", 60, () => Logs);
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>Another task manager process (a new owner id), started and ready.</summary>
    public async Task<HoardProcess> StartTaskManagerAsync()
    {
        var process = NewTaskManager();
        TaskManagers.Add(process);
        process.Start();
        await process.WaitReadyAsync();
        return process;
    }

    /// <summary>The host an instance was placed on (<c>instances.host</c>), or null before placement.</summary>
    public async Task<string?> HostOfAsync(string instanceId)
    {
        await using var connection = await StateDb.OpenAsync(CancellationToken.None);
        return await Dapper.SqlMapper.ExecuteScalarAsync<string?>(connection, "SELECT host FROM instances WHERE id = @instanceId", new { instanceId });
    }

    private HoardProcess NewTaskManager() => NewProcess($"taskmanager-{++_taskManagers}", "taskmanager");

    private HoardProcess NewProcess(string name, string roles) => new(name, roles, HoardServerFixture.FreePort(),
        [
            $"--Hoard:DataDir={DataDir}", $"--Hoard:LoopbackSecondOctet={_octet}",
            $"--Hoard:LeaseSeconds={LeaseSeconds.ToString(CultureInfo.InvariantCulture)}",
            "--Hoard:OrphanScanIntervalSeconds=2", $"--Hoard:HeartbeatExpirySeconds={HoardServerFixture.HeartbeatExpirySeconds}",
            "--Hoard:AutomaticFailover=false",
        ],
        new Dictionary<string, string>
        {
            ["Hoard__Bus"] = "rabbitmq",
            ["Hoard__RabbitMq__Url"] = Broker.Options.Url.ToString(),
            ["Hoard__Compute"] = "hosts",
            ["Hoard__StateDb"] = "postgresql",
            ["Hoard__StateDbConnectionString"] = _connectionString,
            ["Hoard__StateDbPasswordFile"] = _passwordFile,
        });

    public async Task DisposeAsync()
    {
        if (Apis.Count > 0 && !Apis[0].HasExited && OpenRc.Count > 0)
        {
            await DeleteAllInstancesAsync();
        }

        foreach (var process in All)
        {
            await process.DisposeAsync();
        }

        foreach (var agent in _agents)
        {
            agent.Dispose();
        }

        // Kills whatever still runs in the namespaces (guests, database servers), then removes them and the bridge.
        _hosts?.Dispose();
        await KillLeftoversAsync();
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        foreach (var dir in new[] { DataDir, HostsRoot, _secrets.FullName })
        {
            for (var attempt = 0; Directory.Exists(dir) && attempt < 10; attempt++)
            {
                try
                {
                    Directory.Delete(dir, recursive: true);
                }
                catch (IOException)
                {
                    await Task.Delay(200);
                }
            }
        }
    }

    /// <summary>Anything still running from the data dirs (a guest a killed task manager's step started, say).</summary>
    private async Task KillLeftoversAsync()
    {
        var watch = Stopwatch.StartNew();
        while (ProcessTable.Mentioning(DataDir).Concat(ProcessTable.Mentioning(HostsRoot)).ToList() is { Count: > 0 } leftovers &&
               watch.Elapsed < TimeSpan.FromSeconds(15))
        {
            foreach (var (pid, _) in leftovers)
            {
                try
                {
                    using var process = Process.GetProcessById(pid);
                    process.Kill();
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                }
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Best effort: a failed cleanup must not hide the test failures; leftovers are killed next.</summary>
    private async Task DeleteAllInstancesAsync()
    {
        try
        {
            var client = Client();
            var admin = await client.LoginAsync("admin", AdminPassword, "demo");
            foreach (var instance in await client.ListInstancesAsync(admin))
            {
                var id = instance["id"]!.GetValue<string>();
                if ((await client.DeleteAsync(admin, $"instances/{id}")).Status == 422)
                {
                    await client.PostAsync(admin, $"instances/{id}/action", """{"reset_status":{}}""");
                    await client.DeleteAsync(admin, $"instances/{id}");
                }
            }

            await Poll.UntilAsync(async () => (await client.ListInstancesAsync(admin)).Count == 0, "Instances were not deleted", 60);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Xunit.Sdk.XunitException)
        {
            // Leftover processes are killed next.
        }
    }
}
