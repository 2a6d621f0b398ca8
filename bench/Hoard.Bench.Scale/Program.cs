using Hoard.Bench.Failover;
using Hoard.Bench.Provisioning;
using Hoard.Bench.Scale;

// The baselines run as child processes of this same program.
if (args is ["--serve-bare-http", var url, var answers])
    return await BareHttpEndpoint.ServeAsync(url, answers);
if (args is ["--serve-bare-bus", var socket])
    return await BareBus.ServeEmbeddedAsync(socket);
if (args is ["--serve-bare-rabbitmq"])
    return await BareBus.ServeRabbitMqAsync();

ScaleOptions options;
try
{
    options = ScaleOptions.Parse(args);
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

var report = new ScaleReport(options) { LoadBefore = MachineLoad.Describe() };
var root = Directory.CreateTempSubdirectory("hb-scale-").FullName;
File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
var failed = false;
var bench = new ScaleBench(options, root, report);
try
{
    report.Source = await Setup.DescribeSourceAsync(options.ServerDll, cancel.Token);
    Console.WriteLine($"work dir {root}; {options.Instances} instances, {options.Projects} projects in the spread scenario, " +
                      $"{options.Clients} HTTP clients, {options.Rounds} heartbeat rounds{(options.Quick ? " (--quick)" : "")}");
    await bench.RunAsync(cancel.Token);
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
        Console.Error.WriteLine($"FAILED: {e}");
        if (bench.Server is { } server)
            Console.Error.WriteLine($"last lines of {server.LogPath}:\n{server.Tail(15)}");
    }
}
finally
{
    if (options.Keep)
    {
        Console.WriteLine($"--keep: left {root} (hoard-server stopped; state DBs and logs kept)");
        await bench.DisposeAsync();
    }
    else
    {
        if (failed && !cancel.IsCancellationRequested)
            Setup.SaveLogs(root);
        // Stops hoard-server first; then whatever still runs from the work dir (a baseline child) is killed and the dir removed.
        await bench.DisposeAsync();
        await Setup.CleanUpAsync(null, null, root);
    }
}

report.LoadAfter = MachineLoad.Describe();
if (report.HasFigures)
    report.Print();
return failed ? 1 : 0;
