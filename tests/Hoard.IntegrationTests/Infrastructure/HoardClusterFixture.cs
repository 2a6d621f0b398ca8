using System.Diagnostics;
using Hoard.Tests.Shared;

namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>
/// hoard-server split into its roles, as separate processes on one data dir and SQLite state DB (WAL: shared by processes
/// of one machine) over a private RabbitMQ: two API processes, two task managers and a conductor, all started at once.
/// The lease is short (6 s) so that a takeover shows quickly. Disposal deletes every instance, stops every process and
/// anything left running from the data dir, and removes it.
/// </summary>
public sealed class HoardClusterFixture : IAsyncLifetime
{
    public const double LeaseSeconds = 6;

    public RabbitMqBroker Broker { get; } = new();

    /// <summary>Short on purpose: sockets inside it must stay under the 108-byte sun_path limit.</summary>
    public string DataDir { get; } = "/tmp/hoard-rl-" + Guid.NewGuid().ToString("N")[..8];

    public List<HoardProcess> Apis { get; } = [];

    public List<HoardProcess> TaskManagers { get; } = [];

    public HoardProcess Conductor { get; private set; } = null!;

    public IEnumerable<HoardProcess> All => Apis.Concat(TaskManagers).Append(Conductor).Where(p => p is not null);

    public TroveClient Client(int api = 0) => new(new HttpClient { BaseAddress = new Uri(Apis[api].BaseUrl), Timeout = TimeSpan.FromSeconds(100) });

    public string AdminPassword { get; private set; } = "";

    public string Logs => string.Join("\n", All.Select(p => $"===== {p.Name} ({p.Roles}, pid {p.Pid}) =====\n{p.Log}"));

    private int _octet;
    private int _taskManagers;

    public async Task InitializeAsync()
    {
        if (RabbitMqBroker.SkipReason is not null)
        {
            return;
        }

        try
        {
            await Broker.InitializeAsync();
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
            AdminPassword = File.ReadAllLines(openrc).Single(l => l.StartsWith("export OS_PASSWORD=", StringComparison.Ordinal))
                ["export OS_PASSWORD=".Length..].Trim('"', '\'');
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

    private HoardProcess NewTaskManager() => NewProcess($"taskmanager-{++_taskManagers}", "taskmanager");

    private HoardProcess NewProcess(string name, string roles) => new(name, roles, HoardServerFixture.FreePort(),
        [
            $"--Hoard:DataDir={DataDir}", $"--Hoard:LoopbackSecondOctet={_octet}", $"--Hoard:LeaseSeconds={LeaseSeconds}",
            "--Hoard:OrphanScanIntervalSeconds=2", $"--Hoard:HeartbeatExpirySeconds={HoardServerFixture.HeartbeatExpirySeconds}",
            "--Hoard:AutomaticFailover=false",
        ],
        new Dictionary<string, string>
        {
            ["Hoard__Bus"] = "rabbitmq",
            ["Hoard__RabbitMq__Url"] = Broker.Options.Url.ToString(),
        });

    public async Task DisposeAsync()
    {
        if (Apis.Count > 0 && !Apis[0].HasExited && AdminPassword.Length > 0)
        {
            await DeleteAllInstancesAsync();
        }

        foreach (var process in All)
        {
            await process.DisposeAsync();
        }

        var watch = Stopwatch.StartNew();
        while (ProcessTable.Mentioning(DataDir) is { Count: > 0 } leftovers && watch.Elapsed < TimeSpan.FromSeconds(15))
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

        await NftTable.DeleteAsync(DataDir);
        for (var attempt = 0; Directory.Exists(DataDir) && attempt < 10; attempt++)
        {
            try
            {
                Directory.Delete(DataDir, recursive: true);
            }
            catch (IOException)
            {
                await Task.Delay(200);
            }
        }

        await Broker.DisposeAsync();
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
            // Leftover processes are killed by the caller.
        }
    }
}
