using System.Globalization;

namespace Hoard.Bench.Provisioning;

/// <summary>Collects the figures of one bench run and prints them.</summary>
internal sealed class Report(int runs)
{
    private const double Target = 1.5;
    private const double Goal = 1.1;

    public List<BaselineRun> Baseline { get; } = [];

    public List<HoardRun> Hoard { get; } = [];

    public List<InstanceMemory> Instances { get; } = [];

    public List<string> Timelines { get; } = [];

    public string? Source { get; set; }

    public string? LoadBefore { get; set; }

    public string? LoadAfter { get; set; }

    public TimeSpan? ServerStartup { get; set; }

    public MemoryUse? HoardServer { get; set; }

    public static string Seconds(TimeSpan t) => $"{t.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture)} s";

    public void Print()
    {
        Console.WriteLine();
        Console.WriteLine($"== Provisioning: MariaDB 10.11, m1.tiny (512 MB), {runs} runs each, {Environment.ProcessorCount} CPUs, {DateTime.Now:yyyy-MM-dd HH:mm} ==");
        Console.WriteLine($"source: {Source ?? "?"}");
        Console.WriteLine($"machine load before: {LoadBefore ?? "?"}; after: {LoadAfter ?? "?"}");
        Console.WriteLine("run  baseline total  install-db  start→query | hoard →ACTIVE  →first query  attempts");
        for (var i = 0; i < Math.Max(Baseline.Count, Hoard.Count); i++)
        {
            var b = i < Baseline.Count ? Baseline[i] : null;
            var h = i < Hoard.Count ? Hoard[i] : null;
            Console.WriteLine($"{i + 1,3}  {Cell(b?.Total),14}  {Cell(b?.InstallDb),10}  {Cell(b?.StartToQuery),11} | {Cell(h?.ToActive),13}  {Cell(h?.ToQuery),12}  {h?.QueryAttempts.ToString(CultureInfo.InvariantCulture) ?? "-",8}");
        }

        var baseline = Median(Baseline.Select(b => b.Total));
        var active = Median(Hoard.Select(h => h.ToActive));
        var query = Median(Hoard.Select(h => h.ToQuery));
        Console.WriteLine($"median  baseline {Cell(baseline)} | hoard →ACTIVE {Cell(active)}, →first query {Cell(query)}");
        if (Hoard.Count > 1)
        {
            // The first instance on a fresh data dir may pay one-time work (e.g. a cached data-dir template).
            Console.WriteLine($"hoard first instance →first query {Cell(Hoard[0].ToQuery)}; median of the others {Cell(Median(Hoard.Skip(1).Select(h => h.ToQuery)))}");
        }

        if (ServerStartup is { } startup)
            Console.WriteLine($"hoard-server start → API answering: {Seconds(startup)} (not part of the ratio)");
        if (baseline is { } b0 && query is { } q && active is { } a)
        {
            var ratio = q / b0;
            var verdict = ratio <= Goal ? "goal met" : ratio <= Target ? "target met, goal not met" : "TARGET NOT MET";
            Console.WriteLine($"ratio hoard/baseline (first query): {ratio:0.00} (target ≤ {Target}, goal ≤ {Goal}): {verdict}");
            Console.WriteLine($"ratio hoard/baseline (ACTIVE):      {a / b0:0.00}");
        }

        Console.WriteLine();
        Console.WriteLine("memory after ~3 s idle:");
        foreach (var m in Instances)
            Console.WriteLine($"  {m.InstanceId}: guest pid {m.GuestPid?.ToString(CultureInfo.InvariantCulture) ?? "?"} {m.Guest?.ToString() ?? "-"}; mariadbd pid {m.ServerPid?.ToString(CultureInfo.InvariantCulture) ?? "?"} {m.Server?.ToString() ?? "-"}");
        PrintMedian("guest agent", Instances.Select(m => m.Guest));
        PrintMedian("mariadbd (Hoard)", Instances.Select(m => m.Server));
        PrintMedian("mariadbd (baseline, same memory settings)", Baseline.Select(b => b.IdleMemory));
        if (HoardServer is not null)
            Console.WriteLine($"  hoard-server: {HoardServer} (with {Instances.Count} instances)");

        if (Timelines.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine("where Hoard's time went (guest.log timestamps):");
            foreach (var line in Timelines)
                Console.WriteLine($"  {line}");
        }
    }

    /// <summary>Load average and CPU pressure: other work on the machine shows up in both sides' times.</summary>
    public static string Load()
    {
        var load = string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        string? pressure;
        try
        {
            pressure = File.ReadLines("/proc/pressure/cpu").First().Split(' ').FirstOrDefault(f => f.StartsWith("avg60=", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            pressure = null;
        }

        return pressure is null ? $"loadavg {load}" : $"loadavg {load}, cpu pressure {pressure}%";
    }

    private static void PrintMedian(string name, IEnumerable<MemoryUse?> values)
    {
        var list = values.OfType<MemoryUse>().ToList();
        if (list.Count == 0)
            return;
        var rss = MedianOf(list.Select(m => (double)m.RssKb)) / 1024;
        var pss = MedianOf(list.Select(m => (double)m.PssKb)) / 1024;
        Console.WriteLine($"  median {name}: RSS {rss:0.0} MB, PSS {pss:0.0} MB (n={list.Count})");
    }

    private static string Cell(TimeSpan? t) => t is { } v ? Seconds(v) : "-";

    private static TimeSpan? Median(IEnumerable<TimeSpan> values)
    {
        var list = values.ToList();
        return list.Count == 0 ? null : TimeSpan.FromTicks((long)MedianOf(list.Select(t => (double)t.Ticks)));
    }

    private static double MedianOf(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        var mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
