using System.Diagnostics;
using Hoard.Bench.Backup;
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
    Console.Error.WriteLine("The backup bench runs as root: the by-hand tools run as the database servers' OS user and read the instances' files.");
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

var report = new Report(options.Runs) { LoadBefore = BenchSetup.Load() };
var root = Directory.CreateTempSubdirectory("hbb-").FullName;
// Guests and database servers run as the OS user and must traverse this directory.
File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
var dataDir = Path.Combine(root, "hoard");
HoardServerProcess? server = null;
HoardBackups? hoard = null;
var failed = false;
using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
try
{
    report.Source = await Setup.DescribeSourceAsync(options.ServerDll, cancel.Token);
    var osUser = await Setup.EnsureOsUserAsync("dbaas", cancel.Token);
    Console.WriteLine($"work dir {root}; by-hand tools as {osUser}; {string.Join(", ", options.Datastores)}: " +
                      $"{options.SizeMb} MB of table data, {options.Runs} runs each");
    server = HoardServerProcess.Start(options.ServerDll, dataDir, Path.Combine(root, "server.log"));
    await server.WaitUntilReadyAsync(http, TimeSpan.FromSeconds(60), cancel.Token);
    var credentials = Setup.ReadOpenRc(Path.Combine(dataDir, "admin-openrc.sh"));
    var client = await TroveClient.LogInAsync(http, server.BaseUrl, credentials["OS_USERNAME"], credentials["OS_PASSWORD"],
        credentials.GetValueOrDefault("OS_PROJECT_NAME", "demo"), cancel.Token);
    hoard = new HoardBackups(client, dataDir, server.LogPath);

    foreach (var type in options.Datastores)
    {
        var datastore = BackupDatastore.Named(type);
        var figures = new DatastoreFigures(datastore) { LoadAtStart = BenchSetup.Load() };
        report.Datastores.Add(figures);
        var work = await Shell.PrivateDirectoryAsync(Path.Combine(root, type), osUser, cancel.Token);
        IByHandBackup byHand = type == "mariadb" ? new MariaDbBench(work, osUser) : new PostgreSqlBench(work, osUser);
        Console.WriteLine($"-- {datastore.Title} ({figures.LoadAtStart})");

        var source = await hoard.CreateAsync(datastore, cancel.Token);
        var loading = Stopwatch.GetTimestamp();
        figures.Rows = await byHand.LoadAsync(source, options.SizeMb * 1_000_000L, cancel.Token);
        figures.LoadTime = Stopwatch.GetElapsedTime(loading);
        figures.DataBytes = Shell.DirectoryBytes(source.DataDir, datastore.NotCounted);
        Console.WriteLine($"loaded {figures.Rows:N0} rows in {Report.Seconds(figures.LoadTime)}: data directory {Report.Megabytes(figures.DataBytes)}");

        // Not timed: the first backup after the load pays for flushing it (PostgreSQL's checkpoint, InnoDB's dirty pages).
        Console.WriteLine($"warm-up backup by hand (not timed): {Report.Seconds(await byHand.BackupAsync(source, "/dev/null", cancel.Token))}");
        // The guest flushes InnoDB's dirty pages before a backup (for a small incremental on it), which the by-hand
        // backup does not: after a bulk load that flush would land in Hoard's first timed run only.
        var (warmUp, warmUpTime, _) = await hoard.BackupAsync(source, "bench-warm-up", cancel.Token);
        Console.WriteLine($"warm-up backup Hoard (not timed): {Report.Seconds(warmUpTime)} ({hoard.BackupTimeline(source.Id, warmUp)})");
        await hoard.DeleteBackupAsync(warmUp, cancel.Token);

        // Alternating keeps both sides under the same background load, which drifts on a shared machine; the side that
        // goes first changes from run to run.
        var backups = new List<string>();
        var stream = Path.Combine(work, "stream.zst");
        for (var i = 1; i <= options.Runs; i++)
        {
            async Task ByHandAsync()
            {
                var byHandTime = await byHand.BackupAsync(source, "/dev/null", cancel.Token);
                figures.BackupByHand.Add(byHandTime);
                // The last run's file is what the by-hand restores start from, as Hoard's start from its stored backups.
                var toDiskTime = await byHand.BackupAsync(source, stream, cancel.Token);
                figures.BackupByHandToDisk.Add(toDiskTime);
                figures.ByHandStreamBytes = new FileInfo(stream).Length;
                Console.WriteLine($"backup by hand {i}: {Report.Seconds(byHandTime)}; into a file + sync {Report.Seconds(toDiskTime)}");
            }

            async Task HoardAsync()
            {
                var (id, hoardTime, storedGb) = await hoard.BackupAsync(source, $"bench-{i}", cancel.Token);
                backups.Add(id);
                figures.BackupHoard.Add(hoardTime);
                figures.StoredGb.Add(storedGb);
                figures.BackupTimelines.Add(hoard.BackupTimeline(source.Id, id));
                Console.WriteLine($"backup Hoard   {i}: {Report.Seconds(hoardTime)} ({id}, {Report.Megabytes(storedGb * (1L << 30))} stored; {figures.BackupTimelines[^1]})");
            }

            await InTurnAsync(i, ByHandAsync, HoardAsync);
        }

        var rows = await byHand.CountRowsAsync(source, cancel.Token);
        for (var i = 1; i <= options.Runs; i++)
        {
            async Task ByHandAsync()
            {
                var byHandTime = await byHand.RestoreAsync(stream, i, cancel.Token);
                figures.RestoreByHand.Add(byHandTime);
                Console.WriteLine($"restore by hand {i}: {Report.Seconds(byHandTime)}");
            }

            async Task HoardAsync()
            {
                var (restored, hoardTime) = await hoard.RestoreAsync(datastore, backups[i - 1], source.Password, i, cancel.Token);
                figures.RestoreHoard.Add(hoardTime);
                figures.RestoreTimelines.Add(hoard.RestoreTimeline(restored.Id, backups[i - 1]));
                // The restored instance must hold the backup's rows, else its time means nothing (not timed).
                var restoredRows = await byHand.CountRowsAsync(restored, cancel.Token);
                if (restoredRows != rows)
                    throw new InvalidOperationException($"Instance {restored.Id}, restored from backup {backups[i - 1]}, has {restoredRows} rows, not {rows}.");
                Console.WriteLine($"restore Hoard   {i}: {Report.Seconds(hoardTime)} ({restored.Id}, {restoredRows:N0} rows; {figures.RestoreTimelines[^1]})");
                if (!options.Keep)
                    await hoard.DeleteInstanceAsync(restored.Id, cancel.Token);
            }

            await InTurnAsync(i, ByHandAsync, HoardAsync);
        }

        File.Delete(stream);
        figures.LoadAtEnd = BenchSetup.Load();
        if (!options.Keep)
        {
            await hoard.DeleteInstanceAsync(source.Id, cancel.Token);
            foreach (var id in backups)
                await hoard.DeleteBackupAsync(id, cancel.Token);
        }
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

report.LoadAfter = BenchSetup.Load();
if (report.HasFigures)
    report.Print();
return failed ? 1 : 0;

// Odd runs by hand first, even runs Hoard first.
static async Task InTurnAsync(int run, Func<Task> byHand, Func<Task> hoard)
{
    await (run % 2 == 1 ? byHand : hoard)();
    await (run % 2 == 1 ? hoard : byHand)();
}
