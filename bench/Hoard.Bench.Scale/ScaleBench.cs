using Hoard.Bench.Failover;
using Hoard.Bench.Provisioning;
using Hoard.Messaging.Embedded;
using Hoard.Persistence;

namespace Hoard.Bench.Scale;

/// <summary>
/// The run: hoard-server's first start (idle memory with no instance), then the instances seeded all into one project
/// (idle memory, the list loads, the heartbeats; with <c>--rabbitmq</c> the heartbeats again over a private broker), then
/// spread over several projects (the list loads again). Each measurement of Hoard is followed by its baseline's, under
/// the same client, before the next repeat.
/// </summary>
internal sealed class ScaleBench(ScaleOptions options, string root, ScaleReport report) : IAsyncDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private IReadOnlyList<SeededInstance> _seeded = [];

    public HoardServerProcess? Server { get; private set; }

    private TimeSpan IdleWindow => options.Quick ? TimeSpan.FromSeconds(2.5) : TimeSpan.FromSeconds(5);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        ServerSettings.Apply();
        var n = options.Instances;
        var one = Path.Combine(root, "one-project");
        await StartServerAsync(one, cancellationToken);
        await IdleMemoryAsync("idle, 0 instances", cancellationToken);
        await StopServerAsync();

        // The spread scenario starts from the same first-start state (admin, demo, catalog), without a second first start.
        var spread = Path.Combine(root, "spread");
        if (options.Projects > 1)
            CopyStateDir(one, spread);

        await SeedAsync(one, 1, cancellationToken);
        await StartServerAsync(one, cancellationToken);
        await IdleMemoryAsync($"idle, {n} instances (one project)", cancellationToken);
        var answers = Path.Combine(root, "answers-one");
        var lists = await CaptureAsync(one, answers, cancellationToken);
        await CompareListsAsync(lists, answers, $"1 project: first page (20 of {n})", $"1 project: full walk ({n} by limit/marker)",
            $"under list load, {n} instances", cancellationToken);
        await CompareHeartbeatsAsync(one, cancellationToken);
        await StopServerAsync();
        if (options.RabbitMq)
            await CompareRabbitMqHeartbeatsAsync(one, cancellationToken);

        if (options.Projects > 1)
        {
            var perProject = n / options.Projects;
            await SeedAsync(spread, options.Projects, cancellationToken);
            await StartServerAsync(spread, cancellationToken);
            var spreadAnswers = Path.Combine(root, "answers-spread");
            var spreadLists = await CaptureAsync(spread, spreadAnswers, cancellationToken);
            await CompareListsAsync(spreadLists, spreadAnswers, $"{options.Projects} projects: first page (20 of ~{perProject})",
                $"{options.Projects} projects: full walk (~{perProject})", null, cancellationToken);
            await StopServerAsync();
        }
    }

    private async Task SeedAsync(string dataDir, int projects, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        _seeded = await StateSeeder.SeedAsync(Path.Combine(dataDir, "state.db"), options.Instances, projects, cancellationToken);
        Console.WriteLine($"seeded {_seeded.Count} instances into {projects} project(s) through the stores in " +
                          $"{System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s");
    }

    private async Task StartServerAsync(string dataDir, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        Server = HoardServerProcess.Start(options.ServerDll, dataDir, dataDir + ".log");
        await Server.WaitUntilReadyAsync(_http, TimeSpan.FromSeconds(120), cancellationToken);
        Console.WriteLine($"hoard-server {Server.Pid} answering at {Server.BaseUrl} after " +
                          $"{System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s ({MachineLoad.Describe()})");
    }

    private async Task StopServerAsync()
    {
        if (Server is not null)
            await Server.DisposeAsync();
        Server = null;
    }

    private async Task IdleMemoryAsync(string phase, CancellationToken cancellationToken)
    {
        await Task.Delay(options.Settle, cancellationToken);
        var memory = await MemoryWatch.IdleAsync(Server!.Pid, IdleWindow, cancellationToken);
        report.Memory.Add((phase, memory));
        Console.WriteLine($"memory {phase}: RSS {memory.RssMb} MB, PSS {memory.PssMb} MB, GC heap {memory.HeapMb} MB");
    }

    /// <summary>Logs in to each project that has seeded instances and captures its first page and its walk.</summary>
    private async Task<IReadOnlyList<ProjectLists>> CaptureAsync(string dataDir, string answersDir, CancellationToken cancellationToken)
    {
        var credentials = Setup.ReadOpenRc(Path.Combine(dataDir, "admin-openrc.sh"));
        var answers = new CapturedAnswers(answersDir);
        var lists = new List<ProjectLists>();
        foreach (var project in _seeded.GroupBy(s => s.ProjectName))
        {
            var (endpoint, token) = await KeystoneLogin.LogInAsync(_http, Server!.BaseUrl, credentials["OS_USERNAME"], credentials["OS_PASSWORD"],
                project.Key, cancellationToken);
            lists.Add(await ProjectLists.CaptureAsync(_http, project.Key, endpoint, token, project.Count(), answers, cancellationToken));
        }

        answers.Save();
        Console.WriteLine($"captured {lists.Sum(l => l.Walk.PathsAndQueries.Count)} answers of {lists.Count} project(s); " +
                          $"a walk is {lists[0].Walk.PathsAndQueries.Count} requests");
        return lists;
    }

    private async Task CompareListsAsync(IReadOnlyList<ProjectLists> lists, string answersDir, string firstPageTitle, string walkTitle, string? memoryPhase,
        CancellationToken cancellationToken)
    {
        var bareUrl = $"http://127.0.0.1:{ByHandMariaDb.FreePort()}";
        await using var bare = await ChildProcess.StartAsync("the bare Kestrel endpoint",
            ["--serve-bare-http", bareUrl, answersDir], TimeSpan.FromSeconds(60), cancellationToken);
        var scenarios = new[]
        {
            (new ListComparison(firstPageTitle, "page"), lists.Select(l => l.FirstPage).ToList()),
            (new ListComparison(walkTitle, "walk"), lists.Select(l => l.Walk).ToList()),
        };
        foreach (var (comparison, operations) in scenarios)
        {
            report.Lists.Add(comparison);
            for (var repeat = 0; repeat < options.Repeats; repeat++)
            {
                var watch = repeat == 0 && memoryPhase is not null && comparison.Unit == "page" ? MemoryWatch.Start(Server!.Pid) : null;
                var hoard = await HttpLoad.RunAsync(Server!.BaseUrl, operations, options.Clients, options.WarmUp, options.Duration, cancellationToken);
                if (watch is not null)
                {
                    report.Memory.Add((memoryPhase!, await watch.StopAsync()));
                    await watch.DisposeAsync();
                }

                comparison.Hoard.Add(hoard);
                var baseline = await HttpLoad.RunAsync(bareUrl, operations, options.Clients, options.WarmUp, options.Duration, cancellationToken);
                comparison.Bare.Add(baseline);
                Console.WriteLine($"{comparison.Title} #{repeat + 1}: Hoard {hoard.PerSecond:0.0} {comparison.Unit}s/s " +
                                  $"(p50 {hoard.P50:0.00} ms, p99 {hoard.P99:0.00} ms), bare {baseline.PerSecond:0.0}/s " +
                                  $"(p50 {baseline.P50:0.00} ms, p99 {baseline.P99:0.00} ms) ({MachineLoad.Describe()})");
            }
        }
    }

    private async Task CompareHeartbeatsAsync(string dataDir, CancellationToken cancellationToken)
    {
        var comparison = new HeartbeatComparison("the embedded bus", $"{options.Repeats} run(s) each, in turn");
        report.Heartbeats.Add(comparison);
        await using var guests = await SimulatedGuests.ConnectEmbeddedAsync(Path.Combine(dataDir, "run", "bus.sock"), _seeded,
            TimeSpan.FromSeconds(120), cancellationToken);
        var bareSocket = Path.Combine(root, "bare-bus.sock");
        await using var bareBus = await ChildProcess.StartAsync("the bare bus", ["--serve-bare-bus", bareSocket], TimeSpan.FromSeconds(60), cancellationToken);
        await using var bareGuests = await SimulatedGuests.ConnectEmbeddedAsync(bareSocket, _seeded, TimeSpan.FromSeconds(120), cancellationToken);
        await using var counter = new EmbeddedBusClient(bareSocket, "bench-counter", "-");
        counter.Start();
        await counter.Connected.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        Console.WriteLine($"{_seeded.Count} simulated guests on hoard-server's bus and {_seeded.Count} on the bare bus");

        for (var repeat = 0; repeat < options.Repeats; repeat++)
        {
            var watch = repeat == 0 ? MemoryWatch.Start(Server!.Pid) : null;
            comparison.Hoard.Add(await HoardHeartbeatsAsync(guests, dataDir, cancellationToken));
            if (watch is not null)
            {
                report.Memory.Add(($"under heartbeats, {_seeded.Count} guests", await watch.StopAsync()));
                await watch.DisposeAsync();
            }

            comparison.Bare.Add(await BareHeartbeatsAsync(bareGuests, counter, cancellationToken));
            Print(comparison, repeat);
        }
    }

    /// <summary>
    /// The same over a private RabbitMQ: hoard-server restarted on it, then the bare conductor on the same broker. The two
    /// would compete for the conductor's queue, so Hoard's runs come first and the bare ones after the server stopped.
    /// </summary>
    private async Task CompareRabbitMqHeartbeatsAsync(string dataDir, CancellationToken cancellationToken)
    {
        var comparison = new HeartbeatComparison("a private RabbitMQ", $"{options.Repeats} run(s) each, Hoard's first");
        report.Heartbeats.Add(comparison);
        await using var broker = await PrivateBroker.StartAsync(Path.Combine(root, "rabbitmq"), TimeSpan.FromSeconds(120), cancellationToken);
        Environment.SetEnvironmentVariable("Hoard__Bus", "rabbitmq");
        Environment.SetEnvironmentVariable("Hoard__RabbitMq__Url", broker.Url.ToString());
        try
        {
            await StartServerAsync(dataDir, cancellationToken);
        }
        finally
        {
            Environment.SetEnvironmentVariable("Hoard__Bus", null);
            Environment.SetEnvironmentVariable("Hoard__RabbitMq__Url", null);
        }

        await using var guests = await SimulatedGuests.ConnectRabbitMqAsync(broker.Url, _seeded, TimeSpan.FromMinutes(5), cancellationToken);
        Console.WriteLine($"{_seeded.Count} simulated guests connected to the broker");
        for (var repeat = 0; repeat < options.Repeats; repeat++)
            comparison.Hoard.Add(await HoardHeartbeatsAsync(guests, dataDir, cancellationToken));
        await StopServerAsync();

        await using var bareBus = await ChildProcess.StartAsync("the bare RabbitMQ conductor", ["--serve-bare-rabbitmq"], TimeSpan.FromSeconds(60),
            cancellationToken, new Dictionary<string, string> { [BareBus.UrlVariable] = broker.Url.ToString() });
        await using var counter = await Hoard.Messaging.RabbitMq.RabbitMqBus.ConnectAsync(
            new Hoard.Messaging.RabbitMq.RabbitMqOptions { Url = broker.Url, ClientName = "bench counter" }, cancellationToken: cancellationToken);
        for (var repeat = 0; repeat < options.Repeats; repeat++)
        {
            comparison.Bare.Add(await BareHeartbeatsAsync(guests, counter, cancellationToken));
            Print(comparison, repeat);
        }
    }

    /// <summary>Processed = the state DB shows the instance's heartbeat at least as new as the round (the time it was sent).</summary>
    private async Task<HeartbeatFigures> HoardHeartbeatsAsync(SimulatedGuests guests, string dataDir, CancellationToken cancellationToken)
    {
        var store = new InstanceStore(new StateDb(Path.Combine(dataDir, "state.db")), TimeProvider.System);
        return await HeartbeatRun.RunAsync(guests, options.Rounds, async (since, _, ct) =>
                (await store.ListAnyProjectAsync(null, false, int.MaxValue, null, ct)).Count(i => i.ServiceStatusUpdated >= since) >= _seeded.Count
                    ? DateTimeOffset.UtcNow
                    : null,
            TimeSpan.FromMilliseconds(20), HeartbeatDeadline, cancellationToken);
    }

    private async Task<HeartbeatFigures> BareHeartbeatsAsync(SimulatedGuests guests, Hoard.Contracts.Bus.IMessageBus counter, CancellationToken cancellationToken)
    {
        var (before, _) = await BareBus.CountAsync(counter, cancellationToken);
        return await HeartbeatRun.RunAsync(guests, options.Rounds, async (_, round, ct) =>
                await BareBus.CountAsync(counter, ct) is var (count, last) && count - before >= (long)(round + 1) * _seeded.Count ? last : null,
            TimeSpan.FromMilliseconds(5), HeartbeatDeadline, cancellationToken);
    }

    private static TimeSpan HeartbeatDeadline => TimeSpan.FromMinutes(10);

    private static void Print(HeartbeatComparison comparison, int repeat)
    {
        var hoard = comparison.Hoard[repeat];
        var bare = comparison.Bare[repeat];
        Console.WriteLine($"heartbeats over {comparison.Bus} #{repeat + 1}: Hoard {hoard.PerSecond:0} messages/s ({hoard.Messages} in {hoard.Elapsed.TotalSeconds:0.00} s), " +
                          $"bare {bare.PerSecond:0} messages/s ({bare.Messages} in {bare.Elapsed.TotalSeconds:0.00} s) ({MachineLoad.Describe()})");
    }

    /// <summary>A stopped server's data dir, without its run dir (the bus socket).</summary>
    private static void CopyStateDir(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.StartsWith("run" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                continue;
            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
            File.SetUnixFileMode(target, File.GetUnixFileMode(file));
        }

        File.SetUnixFileMode(to, File.GetUnixFileMode(from));
    }

    public async ValueTask DisposeAsync()
    {
        await StopServerAsync();
        _http.Dispose();
    }
}
