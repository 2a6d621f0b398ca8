using System.Globalization;

namespace Hoard.Bench.Provisioning;

/// <summary>Collects the figures of one bench run and prints them, one section per datastore and a summary.</summary>
internal sealed class Report(int runs)
{
    private const double Target = 1.5;
    private const double Goal = 1.1;

    public List<DatastoreResult> Datastores { get; } = [];

    public string? Source { get; set; }

    public string? LoadBefore { get; set; }

    public string? LoadAfter { get; set; }

    public TimeSpan? ServerStartup { get; set; }

    public bool HasFigures => Datastores.Any(d => d.Baseline.Count > 0);

    public static string Seconds(TimeSpan t) => $"{t.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture)} s";

    public void Print()
    {
        Console.WriteLine();
        Console.WriteLine($"== Provisioning: {string.Join(", ", Datastores.Select(d => d.Datastore.Title))}; m1.tiny (512 MB), {runs} runs each, " +
                          $"{Environment.ProcessorCount} CPUs, {DateTime.Now:yyyy-MM-dd HH:mm} ==");
        Console.WriteLine($"source: {Source ?? "?"}");
        Console.WriteLine($"machine load before: {LoadBefore ?? "?"}; after: {LoadAfter ?? "?"}");
        if (ServerStartup is { } startup)
            Console.WriteLine($"hoard-server start → API answering: {Seconds(startup)} (not part of any ratio)");
        foreach (var result in Datastores.Where(d => d.Baseline.Count > 0 || d.Hoard.Count > 0))
            PrintDatastore(result);

        Console.WriteLine();
        Console.WriteLine("== Summary: medians; ratio = Hoard → first query / by hand → first query ==");
        Console.WriteLine($"{"datastore",-14}  {"by hand",9}  {"Hoard →ACTIVE",13}  {"→first query",12}  {"ratio",5}  {"(ACTIVE)",8}  verdict");
        foreach (var result in Datastores)
        {
            var (baseline, active, query) = Medians(result);
            Console.WriteLine($"{result.Datastore.Title,-14}  {Cell(baseline),9}  {Cell(active),13}  {Cell(query),12}  " +
                              $"{Ratio(query, baseline),5}  {Ratio(active, baseline),8}  {Verdict(query, baseline)}");
        }
    }

    private static void PrintDatastore(DatastoreResult result)
    {
        var d = result.Datastore;
        Console.WriteLine();
        Console.WriteLine($"== {d.Title} (load at start: {result.LoadAtStart ?? "?"}) ==");
        Console.WriteLine($"run  baseline total  {d.InitLabel,11}  start→query | hoard →ACTIVE  →first query  attempts");
        for (var i = 0; i < Math.Max(result.Baseline.Count, result.Hoard.Count); i++)
        {
            var b = i < result.Baseline.Count ? result.Baseline[i] : null;
            var h = i < result.Hoard.Count ? result.Hoard[i] : null;
            Console.WriteLine($"{i + 1,3}  {Cell(b?.Total),14}  {Cell(b?.Init),11}  {Cell(b?.StartToQuery),11} | {Cell(h?.ToActive),13}  {Cell(h?.ToQuery),12}  {h?.QueryAttempts.ToString(CultureInfo.InvariantCulture) ?? "-",8}");
        }

        var (baseline, active, query) = Medians(result);
        Console.WriteLine($"median  baseline {Cell(baseline)} | hoard →ACTIVE {Cell(active)}, →first query {Cell(query)}");
        if (result.Hoard.Count > 1)
        {
            // The first instance on a fresh data dir may pay one-time work (e.g. a cached data-dir template).
            Console.WriteLine($"hoard first instance →first query {Cell(result.Hoard[0].ToQuery)}; median of the others {Cell(Median(result.Hoard.Skip(1).Select(h => h.ToQuery)))}");
        }

        if (baseline is not null && query is not null)
        {
            Console.WriteLine($"ratio hoard/baseline (first query): {Ratio(query, baseline)} (target ≤ {Target}, goal ≤ {Goal}): {Verdict(query, baseline)}");
            Console.WriteLine($"ratio hoard/baseline (ACTIVE):      {Ratio(active, baseline)}");
        }

        Console.WriteLine();
        Console.WriteLine("memory after ~3 s idle:");
        foreach (var m in result.Instances)
            Console.WriteLine($"  {m.InstanceId}: guest pid {m.GuestPid?.ToString(CultureInfo.InvariantCulture) ?? "?"} {m.Guest?.ToString() ?? "-"}; {d.ServerLabel} pid {m.ServerPid?.ToString(CultureInfo.InvariantCulture) ?? "?"} {m.Server?.ToString() ?? "-"}");
        PrintMedian("guest agent", result.Instances.Select(m => m.Guest));
        PrintMedian($"{d.ServerLabel} (Hoard)", result.Instances.Select(m => m.Server));
        PrintMedian($"{d.ServerLabel} (baseline, same memory settings)", result.Baseline.Select(b => b.IdleMemory));
        if (result.HoardServer is not null)
            Console.WriteLine($"  hoard-server: {result.HoardServer} (with {result.Instances.Count} instances)");

        if (result.Timelines.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine("where Hoard's time went (guest.log timestamps):");
            foreach (var line in result.Timelines)
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

    private static (TimeSpan? Baseline, TimeSpan? Active, TimeSpan? Query) Medians(DatastoreResult result) =>
        (Median(result.Baseline.Select(b => b.Total)), Median(result.Hoard.Select(h => h.ToActive)), Median(result.Hoard.Select(h => h.ToQuery)));

    private static string Ratio(TimeSpan? value, TimeSpan? baseline) =>
        value is { } v && baseline is { } b && b > TimeSpan.Zero ? (v / b).ToString("0.00", CultureInfo.InvariantCulture) : "-";

    private static string Verdict(TimeSpan? query, TimeSpan? baseline)
    {
        if (query is not { } q || baseline is not { } b || b <= TimeSpan.Zero)
            return "-";
        var ratio = q / b;
        return ratio <= Goal ? "goal met" : ratio <= Target ? "target met, goal not met" : "TARGET NOT MET";
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
