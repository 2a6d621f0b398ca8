using System.Globalization;

namespace Hoard.Bench.Backup;

/// <summary>Prints the run's figures: per datastore a table of the runs, then the ratios of medians.</summary>
internal sealed class Report(int runs)
{
    public const double Target = 0.9;

    public List<DatastoreFigures> Datastores { get; } = [];

    public string? Source { get; set; }

    public string? LoadBefore { get; set; }

    public string? LoadAfter { get; set; }

    public bool HasFigures => Datastores.Any(d => d.BackupHoard.Count > 0);

    public static string Seconds(TimeSpan t) => $"{t.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s";

    public static string Megabytes(double bytes) => $"{(bytes / 1e6).ToString("0", CultureInfo.InvariantCulture)} MB";

    public void Print()
    {
        Console.WriteLine();
        Console.WriteLine($"== Backup and restore throughput: {string.Join(", ", Datastores.Select(d => d.Datastore.Title))}; m1.medium, " +
                          $"{HoardBackups.VolumeGb} GB volumes, {runs} runs each, {Environment.ProcessorCount} CPUs, {DateTime.Now:yyyy-MM-dd HH:mm} ==");
        Console.WriteLine($"source: {Source ?? "?"}");
        Console.WriteLine($"machine load before: {LoadBefore ?? "?"}; after: {LoadAfter ?? "?"}");
        foreach (var figures in Datastores.Where(d => d.BackupByHand.Count > 0 || d.BackupHoard.Count > 0))
            PrintDatastore(figures);

        Console.WriteLine();
        Console.WriteLine("== Summary: medians; MB/s = data directory MB / s; ratio = Hoard's throughput / by hand (target ≥ 0.9) ==");
        Console.WriteLine($"{"datastore",-14}  {"data",8}  {"backup by hand",14}  {"Hoard",10}  {"ratio",5}  {"restore by hand",15}  {"Hoard",10}  {"ratio",5}");
        foreach (var d in Datastores)
        {
            Console.WriteLine($"{d.Datastore.Title,-14}  {Megabytes(d.DataBytes),8}  {Rate(d, Median(d.BackupByHand)),14}  {Rate(d, Median(d.BackupHoard)),10}  " +
                              $"{Ratio(d.BackupHoard, d.BackupByHand),5}  {Rate(d, Median(d.RestoreByHand)),15}  {Rate(d, Median(d.RestoreHoard)),10}  " +
                              $"{Ratio(d.RestoreHoard, d.RestoreByHand),5}");
        }
    }

    private static void PrintDatastore(DatastoreFigures d)
    {
        Console.WriteLine();
        Console.WriteLine($"== {d.Datastore.Title}: data directory {Megabytes(d.DataBytes)}{(d.Datastore.NotCounted.Length > 0 ? $" (without {string.Join(", ", d.Datastore.NotCounted)})" : "")}, " +
                          $"{d.Rows:N0} rows loaded in {Seconds(d.LoadTime)} ==");
        Console.WriteLine($"load at start: {d.LoadAtStart ?? "?"}; at end: {d.LoadAtEnd ?? "?"}");
        Console.WriteLine($"run  {"backup by hand",20}  {"(into a file + sync)",20}  {"Hoard backup",20} | {"restore by hand",20}  {"Hoard restore",20}");
        var count = new[] { d.BackupByHand.Count, d.BackupHoard.Count, d.RestoreByHand.Count, d.RestoreHoard.Count }.Max();
        for (var i = 0; i < count; i++)
        {
            Console.WriteLine($"{i + 1,3}  {Cell(d, d.BackupByHand, i),20}  {Cell(d, d.BackupByHandToDisk, i),20}  {Cell(d, d.BackupHoard, i),20} | " +
                              $"{Cell(d, d.RestoreByHand, i),20}  {Cell(d, d.RestoreHoard, i),20}");
        }

        Console.WriteLine($"med  {Cell(d, Median(d.BackupByHand)),20}  {Cell(d, Median(d.BackupByHandToDisk)),20}  {Cell(d, Median(d.BackupHoard)),20} | " +
                          $"{Cell(d, Median(d.RestoreByHand)),20}  {Cell(d, Median(d.RestoreHoard)),20}");
        Console.WriteLine($"ratio Hoard / by hand (throughput): backup {Ratio(d.BackupHoard, d.BackupByHand)} ({Verdict(d.BackupHoard, d.BackupByHand)}), " +
                          $"restore {Ratio(d.RestoreHoard, d.RestoreByHand)} ({Verdict(d.RestoreHoard, d.RestoreByHand)}); " +
                          $"backup against by hand into a file + sync: {Ratio(d.BackupHoard, d.BackupByHandToDisk)}");
        if (d.StoredGb.Count > 0)
        {
            Console.WriteLine($"compressed: by hand zstd -1 {Megabytes(d.ByHandStreamBytes)}; Hoard stored (zstd -1, encrypted) " +
                              $"{string.Join(", ", d.StoredGb.Select(gb => Megabytes(gb * (1L << 30))))}");
        }

        Console.WriteLine("where Hoard's time went (guest.log, server.log):");
        for (var i = 0; i < d.BackupTimelines.Count; i++)
            Console.WriteLine($"  backup {i + 1}: {d.BackupTimelines[i]}");
        for (var i = 0; i < d.RestoreTimelines.Count; i++)
            Console.WriteLine($"  restore {i + 1}: {d.RestoreTimelines[i]}");
    }

    private static string Cell(DatastoreFigures d, List<TimeSpan> times, int i) => i < times.Count ? Cell(d, times[i]) : "-";

    private static string Cell(DatastoreFigures d, TimeSpan? time) =>
        time is { } t ? $"{Seconds(t)} {Rate(d, t),10}" : "-";

    private static string Rate(DatastoreFigures d, TimeSpan? time) =>
        time is { } t && t > TimeSpan.Zero ? $"{(d.DataBytes / 1e6 / t.TotalSeconds).ToString("0.0", CultureInfo.InvariantCulture)} MB/s" : "-";

    /// <summary>Throughput of Hoard over throughput by hand: the same bytes, so the by-hand median time over Hoard's.</summary>
    public static double? RatioValue(List<TimeSpan> hoard, List<TimeSpan> byHand) =>
        Median(hoard) is { } h && Median(byHand) is { } b && h > TimeSpan.Zero ? b / h : null;

    private static string Ratio(List<TimeSpan> hoard, List<TimeSpan> byHand) =>
        RatioValue(hoard, byHand)?.ToString("0.00", CultureInfo.InvariantCulture) ?? "-";

    private static string Verdict(List<TimeSpan> hoard, List<TimeSpan> byHand) =>
        RatioValue(hoard, byHand) is not { } r ? "-" : r >= Target ? "target met" : "TARGET NOT MET";

    private static TimeSpan? Median(List<TimeSpan> values)
    {
        if (values.Count == 0)
            return null;
        var sorted = values.Order().ToList();
        var mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
