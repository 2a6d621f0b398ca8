using System.Diagnostics;
using Hoard.Bench.Provisioning;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

var report = new Report(options.Runs) { LoadBefore = Report.Load() };
var root = Directory.CreateTempSubdirectory("hb-").FullName;
// Guests and database servers run as the OS user and must traverse this directory.
File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
var dataDir = Path.Combine(root, "hoard");
HoardServerProcess? server = null;
HoardProvisioning? hoard = null;
var failed = false;
using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
try
{
    report.Source = await Setup.DescribeSourceAsync(options.ServerDll, cancel.Token);
    var osUser = LibC.IsRoot ? await Setup.EnsureOsUserAsync("dbaas", cancel.Token) : null;
    Console.WriteLine($"work dir {root}; database servers as {osUser ?? Environment.UserName}; " +
                      (options.SoakCycles is { } soakCycles
                          ? $"soak: {soakCycles} create/delete cycles of {string.Join(", ", options.Datastores.Select(d => d.Type))} in turn"
                          : $"{string.Join(", ", options.Datastores.Select(d => d.Type))}: {options.Runs} runs each"));

    var serverStarted = Stopwatch.GetTimestamp();
    server = HoardServerProcess.Start(options.ServerDll, dataDir, Path.Combine(root, "server.log"));
    await server.WaitUntilReadyAsync(http, TimeSpan.FromSeconds(60), cancel.Token);
    report.ServerStartup = Stopwatch.GetElapsedTime(serverStarted);
    Console.WriteLine($"hoard-server {options.ServerDll} answering at {server.BaseUrl} after {Report.Seconds(report.ServerStartup.Value)}");
    var credentials = Setup.ReadOpenRc(Path.Combine(dataDir, "admin-openrc.sh"));
    var client = await TroveClient.LogInAsync(http, server.BaseUrl, credentials["OS_USERNAME"], credentials["OS_PASSWORD"],
        credentials.GetValueOrDefault("OS_PROJECT_NAME", "demo"), cancel.Token);
    hoard = new HoardProvisioning(client, dataDir);

    if (options.SoakCycles is { } cycles)
    {
        var leaks = await new Soak(hoard, client, server, dataDir).RunAsync(cycles, options.Datastores, cancel.Token);
        failed = leaks > 0;
        return failed ? 1 : 0;
    }

    // One datastore after another, each against its own by-hand baseline.
    foreach (var datastore in options.Datastores)
    {
        var result = new DatastoreResult(datastore) { LoadAtStart = Report.Load() };
        report.Datastores.Add(result);
        IByHandBaseline baseline = datastore.Type switch
        {
            "mariadb" => new ByHandMariaDb(root, osUser),
            "postgresql" => new ByHandPostgreSql(root, osUser),
            "redis" => new ByHandRedis(root, osUser),
            _ => throw new InvalidOperationException($"No by-hand baseline for {datastore.Type}."),
        };
        Console.WriteLine($"-- {datastore.Title} ({result.LoadAtStart})");

        // Alternating keeps both sides under the same background load, which drifts on a shared 2-vCPU machine.
        for (var i = 1; i <= options.Runs; i++)
        {
            var b = await baseline.RunOnceAsync(i, idleMemory: i == options.Runs, cancel.Token);
            result.Baseline.Add(b);
            Console.WriteLine($"baseline {i}: {Report.Seconds(b.Total)} ({datastore.InitLabel} {Report.Seconds(b.Init)}, start→query {Report.Seconds(b.StartToQuery)})");

            var h = await hoard.RunOnceAsync(datastore, i, cancel.Token);
            result.Hoard.Add(h);
            Console.WriteLine($"hoard    {i}: ACTIVE {Report.Seconds(h.ToActive)}, first query {Report.Seconds(h.ToQuery)} " +
                              $"({h.InstanceId} at {h.Address}, {h.QueryAttempts} connect attempt(s))");
        }

        await Task.Delay(TimeSpan.FromSeconds(3), cancel.Token);
        var ids = result.Hoard.Select(h => h.InstanceId).ToList();
        result.Instances.AddRange(hoard.MeasureMemory(datastore, ids));
        result.HoardServer = ProcFs.Memory(server.Pid);
        result.Timelines.AddRange(result.Hoard.Select(run => $"{run.InstanceId}: {hoard.Timeline(datastore, run)}"));

        // The next datastore starts, as the first did, with no instances running (not timed).
        if (!options.Keep)
            await hoard.DeleteAsync(ids, cancel.Token);
    }
}
catch (Exception e)
{
    failed = true;
    if (cancel.IsCancellationRequested)
    {
        Console.Error.WriteLine("INTERRUPTED: cleaning up");
    }
    else
    {
        Console.Error.WriteLine($"FAILED: {e.Message}");
        if (server is not null)
            Console.Error.WriteLine($"last lines of {server.LogPath}:\n{server.Tail(15)}");
    }
}
finally
{
    if (options.Keep)
    {
        Console.WriteLine($"--keep: left everything running under {root} (server pid {server?.Pid.ToString() ?? "-"}, {server?.BaseUrl ?? "-"})");
    }
    else
    {
        if (failed && !cancel.IsCancellationRequested)
            Setup.SaveLogs(root);
        await Setup.CleanUpAsync(hoard is null ? null : hoard.DeleteAllAsync, server, root);
    }
}

report.LoadAfter = Report.Load();
if (report.HasFigures)
    report.Print();
return failed ? 1 : 0;
