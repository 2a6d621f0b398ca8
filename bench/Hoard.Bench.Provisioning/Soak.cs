using System.Diagnostics;
using System.Globalization;

namespace Hoard.Bench.Provisioning;

/// <summary>
/// <c>--soak N</c>: N create → first query → delete cycles against one hoard-server, the datastores taking turns.
/// Afterwards, what the host still holds for the data dir (processes, mounts, loop devices, files, cgroups, live
/// instances) must be nothing, and create → ACTIVE must not have slowed: the median of the first ten cycles is
/// compared with that of the last ten.
/// </summary>
internal sealed class Soak(HoardProvisioning hoard, TroveClient client, HoardServerProcess server, string dataDir)
{
    private const int Window = 10;

    /// <returns>The number of leaked things (0 is a pass).</returns>
    public async Task<int> RunAsync(int cycles, IReadOnlyList<DatastoreSpec> datastores, CancellationToken cancellationToken)
    {
        var before = Held();
        var serverBefore = ProcFs.Memory(server.Pid);
        var toActive = new List<TimeSpan>();
        var deleteTimes = new List<TimeSpan>();
        var watch = Stopwatch.StartNew();
        for (var i = 1; i <= cycles; i++)
        {
            var datastore = datastores[(i - 1) % datastores.Count];
            var run = await hoard.RunOnceAsync(datastore, i, cancellationToken);
            toActive.Add(run.ToActive);
            var deleting = Stopwatch.GetTimestamp();
            await hoard.DeleteAsync([run.InstanceId], cancellationToken);
            deleteTimes.Add(Stopwatch.GetElapsedTime(deleting));
            if (i % 10 == 0 || i == cycles)
            {
                Console.WriteLine($"soak {i}/{cycles}: last {datastore.Type} ACTIVE {Report.Seconds(run.ToActive)}, " +
                                  $"deleted in {Report.Seconds(deleteTimes[^1])}; {watch.Elapsed.TotalSeconds:0} s so far");
            }
        }

        // Whatever a delete leaves for a background pass has had its chance.
        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
        var leaks = Held().Except(before).ToList();
        var live = await client.ListInstanceIdsAsync(cancellationToken);
        leaks.AddRange(live.Select(id => $"instance {id} still listed"));
        var serverAfter = ProcFs.Memory(server.Pid);

        Console.WriteLine();
        Console.WriteLine($"soak: {cycles} create/delete cycles ({string.Join(", ", datastores.Select(d => d.Type))} in turn) in {watch.Elapsed.TotalSeconds:0} s");
        var first = toActive.Take(Math.Min(Window, toActive.Count)).ToList();
        var last = toActive.TakeLast(Math.Min(Window, toActive.Count)).ToList();
        Console.WriteLine($"create→ACTIVE median: first {first.Count} {Report.Seconds(Median(first))}, last {last.Count} {Report.Seconds(Median(last))} " +
                          $"(ratio {(Median(last) / Median(first)).ToString("0.00", CultureInfo.InvariantCulture)}); " +
                          $"delete median {Report.Seconds(Median(deleteTimes))}");
        Console.WriteLine($"hoard-server memory: {serverBefore?.ToString() ?? "?"} before, {serverAfter?.ToString() ?? "?"} after");
        Console.WriteLine($"leaked processes {Count(leaks, "process")}, mounts {Count(leaks, "mount")}, loop devices {Count(leaks, "loop")}, " +
                          $"files {Count(leaks, "file")}, cgroups {Count(leaks, "cgroup")}, instances {Count(leaks, "instance")}");
        foreach (var leak in leaks)
            Console.WriteLine($"  leaked: {leak}");
        return leaks.Count;
    }

    private static int Count(List<string> leaks, string kind) => leaks.Count(l => l.StartsWith(kind + " ", StringComparison.Ordinal));

    private static TimeSpan Median(List<TimeSpan> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? TimeSpan.Zero
            : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2]
            : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>Everything the host holds on behalf of this data dir, one line each, without pids' churn (a line names what it is).</summary>
    private HashSet<string> Held()
    {
        var held = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pid in ProcFs.Find(dataDir).Where(p => p != server.Pid))
            held.Add($"process {pid}: {ProcFs.CommandLine(pid)}");
        foreach (var mount in File.ReadLines("/proc/mounts").Select(l => l.Split(' ')[1]).Where(m => m.StartsWith(dataDir + "/", StringComparison.Ordinal)))
            held.Add($"mount {mount}");
        if (Directory.Exists("/sys/block"))
        {
            foreach (var backing in Directory.EnumerateDirectories("/sys/block", "loop*").Select(d => Path.Combine(d, "loop", "backing_file")).Where(File.Exists))
            {
                if (File.ReadAllText(backing).Trim() is var file && file.StartsWith(dataDir + "/", StringComparison.Ordinal))
                    held.Add($"loop {backing}: {file}");
            }
        }

        foreach (var dir in new[] { "instances", "volumes" }.Select(d => Path.Combine(dataDir, d)).Where(Directory.Exists))
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(dir))
                held.Add($"file {entry}");
        }

        // Instance groups are named by instance id; the ids of this run are all new, so any left is a leak.
        foreach (var parent in new[] { "/sys/fs/cgroup/memory/hoard", "/sys/fs/cgroup/cpu,cpuacct/hoard", "/sys/fs/cgroup/cpu/hoard", "/sys/fs/cgroup/hoard" }
                     .Where(Directory.Exists))
        {
            foreach (var group in Directory.EnumerateDirectories(parent).Where(g => hoard.Ever.Contains(Path.GetFileName(g))))
                held.Add($"cgroup {group}");
        }

        return held;
    }
}
