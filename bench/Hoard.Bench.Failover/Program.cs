using Hoard.Bench.Failover;
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

if (!LibC.IsRoot)
{
    Console.Error.WriteLine("The failover bench runs as root: it kills instances' processes and starts the by-hand servers as the database servers' OS user.");
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

var report = new Report(options.Runs, options.Rate) { LoadBefore = MachineLoad.Describe() };
var root = Directory.CreateTempSubdirectory("hbf-").FullName;
// Guests and database servers run as the OS user and must traverse this directory.
File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
var dataDir = Path.Combine(root, "hoard");
HoardServerProcess? server = null;
HoardReplicationSet? hoard = null;
var failed = false;
using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
try
{
    report.Source = await Setup.DescribeSourceAsync(options.ServerDll, cancel.Token);
    var osUser = await Setup.EnsureOsUserAsync("dbaas", cancel.Token);
    Console.WriteLine($"work dir {root}; by-hand servers as {osUser}; {string.Join(", ", options.Datastores)}: {options.Runs} runs each{(options.Synchronous ? ", synchronous sets" : "")}, writes paced to {(options.Rate > 0 ? $"{options.Rate}/s" : "no limit")}");
    server = HoardServerProcess.Start(options.ServerDll, dataDir, Path.Combine(root, "server.log"));
    await server.WaitUntilReadyAsync(http, TimeSpan.FromSeconds(60), cancel.Token);
    var credentials = Setup.ReadOpenRc(Path.Combine(dataDir, "admin-openrc.sh"));
    var client = await TroveClient.LogInAsync(http, server.BaseUrl, credentials["OS_USERNAME"], credentials["OS_PASSWORD"],
        credentials.GetValueOrDefault("OS_PROJECT_NAME", "demo"), cancel.Token);
    hoard = new HoardReplicationSet(client, dataDir, options.Synchronous);

    foreach (var type in options.Datastores)
    {
        var figures = new DatastoreFigures(FailoverDatastore.Named(type)) { LoadAtStart = MachineLoad.Describe() };
        report.Datastores.Add(figures);
        Console.WriteLine($"-- {figures.Datastore.Title} ({figures.LoadAtStart})");
        try
        {
            await DatastoreRuns.RunAsync(figures, hoard, Path.Combine(root, type), osUser, options, cancel.Token);
        }
        catch (Exception e) when (!cancel.IsCancellationRequested)
        {
            failed = true;
            figures.Failure = e.Message;
            Console.Error.WriteLine($"{figures.Datastore.Title} FAILED: {e.Message}");
            Console.Error.WriteLine(await DescribeQuietlyAsync(hoard, cancel.Token));
            Console.Error.WriteLine($"last lines of {server.LogPath}:\n{server.Tail(25)}");
            // Before the delete below takes the instances' guest logs with it.
            if (!options.Keep)
                Setup.SaveLogs(root);
        }

        figures.LoadAtEnd = MachineLoad.Describe();
        if (!options.Keep)
            await hoard.DeleteAllAsync(cancel.Token);
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

report.LoadAfter = MachineLoad.Describe();
if (report.HasFigures)
    report.Print();
return failed ? 1 : 0;

static async Task<string> DescribeQuietlyAsync(HoardReplicationSet hoard, CancellationToken cancellationToken)
{
    try
    {
        return await hoard.DescribeAsync(cancellationToken);
    }
    catch (Exception e) when (e is not OperationCanceledException)
    {
        return $"(could not describe the instances: {e.Message})";
    }
}
