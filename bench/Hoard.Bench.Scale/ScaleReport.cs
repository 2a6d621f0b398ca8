using System.Globalization;

namespace Hoard.Bench.Scale;

/// <summary>The figures of one run, printed as tables at the end.</summary>
internal sealed class ScaleReport(ScaleOptions options)
{
    public string? Source { get; set; }

    public string? LoadBefore { get; set; }

    public string? LoadAfter { get; set; }

    public List<ListComparison> Lists { get; } = [];

    public List<HeartbeatComparison> Heartbeats { get; } = [];

    public List<(string Phase, ServerMemory Memory)> Memory { get; } = [];

    public bool HasFigures => Lists.Any(l => l.Hoard.Count > 0) || Heartbeats.Any(h => h.Hoard.Count > 0) || Memory.Count > 0;

    public void Print()
    {
        Console.WriteLine();
        Console.WriteLine($"== Scale: {options.Instances} instances in the state DB; {Environment.ProcessorCount} CPUs; " +
                          $"{(options.Quick ? "--quick; " : "")}{DateTime.Now:yyyy-MM-dd HH:mm} ==");
        Console.WriteLine($"source: {Source ?? "?"}");
        Console.WriteLine($"hoard-server settings changed: {ServerSettings.Describe()}");
        Console.WriteLine($"machine load before: {LoadBefore ?? "?"}; after: {LoadAfter ?? "?"}");

        if (Lists.Any(l => l.Hoard.Count > 0))
        {
            Console.WriteLine();
            Console.WriteLine($"== GET /instances: {options.Clients} concurrent keep-alive clients, {options.Duration.TotalSeconds:0} s × {options.Repeats} each; " +
                              "bare = Kestrel alone serving Hoard's captured bytes; ratio = Hoard / bare ==");
            Console.WriteLine($"{"list",-44} {"unit",5} | {"Hoard/s",8} {"bare/s",8} {"ratio",5} | {"p50 ms",7} {"bare",7} | {"p99 ms",7} {"bare",7} | {"pages/s",8}");
            foreach (var list in Lists.Where(l => l.Hoard.Count > 0))
            {
                var hoard = Median(list.Hoard.Select(f => f.PerSecond));
                var bare = Median(list.Bare.Select(f => f.PerSecond));
                var hoardLatencies = Pool(list.Hoard);
                var bareLatencies = Pool(list.Bare);
                Console.WriteLine($"{list.Title,-44} {list.Unit,5} | {N(hoard),8} {N(bare),8} {Ratio(hoard, bare),5} | " +
                                  $"{Ms(hoardLatencies.Percentile(0.5)),7} {Ms(bareLatencies.Percentile(0.5)),7} | " +
                                  $"{Ms(hoardLatencies.Percentile(0.99)),7} {Ms(bareLatencies.Percentile(0.99)),7} | " +
                                  $"{N(Median(list.Hoard.Select(f => f.RequestsPerSecond))),8}");
            }
        }

        foreach (var heartbeats in Heartbeats.Where(h => h.Hoard.Count > 0))
        {
            Console.WriteLine();
            Console.WriteLine($"== Heartbeats over {heartbeats.Bus}: {heartbeats.Hoard[0].Messages / options.Rounds} simulated guests × {options.Rounds} rounds, " +
                              $"{heartbeats.Order}; ratio = Hoard / bare ==");
            var hoard = Median(heartbeats.Hoard.Select(h => h.PerSecond));
            var bare = Median(heartbeats.Bare.Select(h => h.PerSecond));
            Console.WriteLine($"{"conductor",-52} | {"messages/s",10} | runs");
            Console.WriteLine($"{"Hoard (processed: state DB updated)",-52} | {N(hoard),10} | {string.Join(", ", heartbeats.Hoard.Select(h => N(h.PerSecond)))}");
            Console.WriteLine($"{"bare (the same bus, a no-op conductor)",-52} | {N(bare),10} | {string.Join(", ", heartbeats.Bare.Select(h => N(h.PerSecond)))}");
            Console.WriteLine($"{"ratio",-52} | {Ratio(hoard, bare),10} |");
        }

        if (Memory.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine("== hoard-server memory (largest value seen in the phase) ==");
            Console.WriteLine($"{"phase",-44} | {"RSS MB",7} {"PSS MB",7} {"GC heap MB",10}");
            foreach (var (phase, memory) in Memory)
                Console.WriteLine($"{phase,-44} | {memory.RssMb,7} {memory.PssMb,7} {memory.HeapMb,10}");
        }
    }

    private static LoadFigures Pool(List<LoadFigures> runs) =>
        new(runs.Sum(r => r.Operations), runs.Sum(r => r.Requests), TimeSpan.FromSeconds(Math.Max(1, runs.Sum(r => r.Window.TotalSeconds))),
            [.. runs.SelectMany(r => r.LatenciesMs)]);

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string N(double value) => double.IsNaN(value) ? "-" : value.ToString(value < 100 ? "0.0" : "0", CultureInfo.InvariantCulture);

    private static string Ms(double value) => double.IsNaN(value) ? "-" : value.ToString(value < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    private static string Ratio(double hoard, double bare) =>
        double.IsNaN(hoard) || double.IsNaN(bare) || bare == 0 ? "-" : (hoard / bare).ToString("0.00", CultureInfo.InvariantCulture);
}
