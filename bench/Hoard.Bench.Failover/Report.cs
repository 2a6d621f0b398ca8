using System.Globalization;

namespace Hoard.Bench.Failover;

/// <summary>Prints the run's figures: per datastore a table of the runs, then medians, maxima and the ratio to the by-hand crash-restart.</summary>
internal sealed class Report(int runs, int rate)
{
    public static readonly TimeSpan Target = TimeSpan.FromSeconds(5);

    public List<DatastoreFigures> Datastores { get; } = [];

    public string? Source { get; set; }

    public string? LoadBefore { get; set; }

    public string? LoadAfter { get; set; }

    public bool HasFigures => Datastores.Any(d => d.Hoard.Count > 0 || d.ByHand.Count > 0);

    public static string Seconds(TimeSpan t) => Seconds(t.TotalSeconds);

    public static string Seconds(double? seconds) => seconds is { } s ? $"{s.ToString("0.00", CultureInfo.InvariantCulture)} s" : "-";

    public void Print()
    {
        Console.WriteLine();
        Console.WriteLine($"== Automatic failover under writes: {string.Join(", ", Datastores.Select(d => d.Datastore.Title))}; m1.tiny, 1 GB, " +
                          $"source + 1 replica, {runs} runs each, {Environment.ProcessorCount} CPUs, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC ==");
        Console.WriteLine($"source: {Source ?? "?"}");
        Console.WriteLine($"machine load before: {LoadBefore ?? "?"}; after: {LoadAfter ?? "?"}");
        Console.WriteLine($"writer: one write at a time, paced to {(rate > 0 ? $"{rate}/s" : "no limit")}, a new connection {SequenceWriter.RetryDelay.TotalMilliseconds:0} ms after a failure (connect + login within {SequenceWriter.ConnectTimeout.TotalSeconds:0} s); " +
                          $"{OutageMeasurement.WarmUp.TotalSeconds:0} s of writes before the kill, {OutageMeasurement.After.TotalSeconds:0} s after the first write after it");
        foreach (var figures in Datastores)
            PrintDatastore(figures);

        Console.WriteLine();
        Console.WriteLine("== Summary: RTO = kill -9 → first acknowledged write (Hoard: through the write endpoint; by hand: the server killed and restarted at once) ==");
        Console.WriteLine($"{"datastore",-14}  {"runs",4}  {"by hand med",11}  {"max",7}  {"lost",5}  {"Hoard med",10}  {"max",7}  {"lost",5}  " +
                          $"{"downtime med",12}  {"max",7}  {"ratio",5}  {"w/s",6}  target (median ≤ 5 s, 0 lost)");
        foreach (var d in Datastores)
        {
            var hoard = d.Hoard.Select(r => r.Outage.Rto).ToList();
            var byHand = d.ByHand.Select(r => r.Rto).ToList();
            var downtime = d.Hoard.Where(r => r.DowntimeSeconds is not null).Select(r => TimeSpan.FromSeconds(r.DowntimeSeconds!.Value)).ToList();
            var lost = d.Hoard.Sum(r => r.Outage.Lost.Count);
            Console.WriteLine($"{d.Datastore.Title,-14}  {d.Hoard.Count,4}  {Seconds(Median(byHand)?.TotalSeconds),11}  {Seconds(Max(byHand)?.TotalSeconds),7}  {d.ByHand.Sum(r => r.Lost.Count),5}  " +
                              $"{Seconds(Median(hoard)?.TotalSeconds),10}  {Seconds(Max(hoard)?.TotalSeconds),7}  {lost,5}  {Seconds(Median(downtime)?.TotalSeconds),12}  {Seconds(Max(downtime)?.TotalSeconds),7}  " +
                              $"{Ratio(hoard, byHand),5}  {Rate(d.Hoard.Select(r => r.Outage)),6}  {Verdict(d, hoard, lost)}");
        }

        Console.WriteLine("ratio = Hoard's median RTO / the by-hand crash-restart's median RTO; lost = acknowledged writes missing afterwards (all runs)");
    }

    private static void PrintDatastore(DatastoreFigures d)
    {
        Console.WriteLine();
        Console.WriteLine($"== {d.Datastore.Title} ==");
        Console.WriteLine($"load at start: {d.LoadAtStart ?? "?"}; at end: {d.LoadAtEnd ?? "?"}");
        Console.WriteLine($"writes: {d.WriteDescription ?? "?"}");
        Console.WriteLine($"by hand: {d.BaselineRecipe ?? "?"}");
        Console.WriteLine($"run  {"by hand RTO",11}  {"lost",4}  {"w/s",6} | {"Hoard RTO",9}  {"lost",4}  {"w/s",6}  {"downtime",8}  " +
                          $"{"detected",8}  {"fenced",7}  {"promoted",8}  {"finished",8}  {"rebuilt",8}  {"failed",6}");
        var count = Math.Max(d.ByHand.Count, d.Hoard.Count);
        for (var i = 0; i < count; i++)
        {
            var b = i < d.ByHand.Count ? d.ByHand[i] : null;
            var h = i < d.Hoard.Count ? d.Hoard[i] : null;
            Console.WriteLine($"{i + 1,3}  {Seconds(b?.Rto.TotalSeconds),11}  {b?.Lost.Count.ToString(CultureInfo.InvariantCulture) ?? "-",4}  {Rate(b),6} | " +
                              $"{Seconds(h?.Outage.Rto.TotalSeconds),9}  {h?.Outage.Lost.Count.ToString(CultureInfo.InvariantCulture) ?? "-",4}  {Rate(h?.Outage),6}  " +
                              $"{Seconds(h?.DowntimeSeconds),8}  {Seconds(h?.ToDetected),8}  {Seconds(h?.ToFenced),7}  {Seconds(h?.ToPromoted),8}  " +
                              $"{Seconds(h?.ToFinished),8}  {Seconds(h?.Rebuilt?.TotalSeconds),8}  {h?.Outage.FailedAttempts.ToString(CultureInfo.InvariantCulture) ?? "-",6}");
        }

        Console.WriteLine("(Hoard's columns after RTO: its event's downtime_seconds, then kill → detected / fenced / promoted / finished, kill → old source rebuilt and caught up)");
        foreach (var (h, i) in d.Hoard.Select((h, i) => (h, i + 1)))
        {
            Console.WriteLine($"  Hoard run {i}: killed {h.OldSource} ({string.Join(", ", h.Killed)}); new source {h.NewSource}; " +
                              $"{h.Outage.AckedBefore} acked before the kill, {h.Outage.AckedAfter} after; {h.Outage.Error}");
            if (h.Outage.Lost.Count > 0)
                Console.WriteLine($"    lost: {Numbers(h.Outage.Lost)}{LostAcks(h.Outage)}");
        }

        foreach (var (b, i) in d.ByHand.Select((b, i) => (b, i + 1)).Where(x => x.b.Lost.Count > 0))
            Console.WriteLine($"  by hand run {i} lost: {Numbers(b.Lost)}{LostAcks(b)}");
        if (d.Failure is not null)
            Console.WriteLine($"FAILED: {d.Failure}");
    }

    private static string LostAcks(WriteOutage outage) =>
        outage.LostAcks.Count == 0 ? "" : $" (acknowledged {string.Join(", ", outage.LostAcks.Take(20).Select(a => $"{(a.AckedAfterKill.TotalMilliseconds).ToString("0.0", CultureInfo.InvariantCulture)} ms"))} after the kill)";

    private static string Numbers(IReadOnlyList<long> numbers) =>
        string.Join(", ", numbers.Take(20)) + (numbers.Count > 20 ? $", … ({numbers.Count} in all)" : "");

    private static string Rate(WriteOutage? outage) =>
        outage is null ? "-" : outage.WritesPerSecond.ToString("0", CultureInfo.InvariantCulture);

    private static string Rate(IEnumerable<WriteOutage> outages) =>
        outages.Select(o => o.WritesPerSecond).DefaultIfEmpty().Average().ToString("0", CultureInfo.InvariantCulture);

    private static string Ratio(List<TimeSpan> hoard, List<TimeSpan> byHand) =>
        Median(hoard) is { } h && Median(byHand) is { } b && b > TimeSpan.Zero ? (h / b).ToString("0.0", CultureInfo.InvariantCulture) : "-";

    private static string Verdict(DatastoreFigures d, List<TimeSpan> hoard, int lost) =>
        d.Failure is not null ? "FAILED" :
        Median(hoard) is not { } median ? "-" :
        median <= Target && lost == 0 ? "met" :
        $"NOT MET ({(median > Target ? "RTO" : "")}{(median > Target && lost > 0 ? ", " : "")}{(lost > 0 ? "lost writes, asynchronous replication" : "")})";

    public static TimeSpan? Median(List<TimeSpan> values)
    {
        if (values.Count == 0)
            return null;
        var sorted = values.Order().ToList();
        var mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static TimeSpan? Max(List<TimeSpan> values) => values.Count == 0 ? null : values.Max();
}
