using System.Diagnostics;

namespace Hoard.Bench.Failover;

/// <summary>One run on either side: the writer under way, the kill, the first write after it, then every acknowledged number read back.</summary>
internal static class OutageMeasurement
{
    /// <summary>Steady writes before the kill, from which the write rate is taken.</summary>
    public static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);

    /// <summary>Writes go on this long after the first one after the kill, so that a second interruption (a late cut of old connections) would show.</summary>
    public static readonly TimeSpan After = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    /// <param name="kill">Kills (and for the baseline restarts) the server: returns when the first signal went and when every killed process was gone.</param>
    /// <param name="whatElse">What to add to the message when no write comes back.</param>
    public static async Task<WriteOutage> MeasureAsync(ISequenceTable table, AckLedger ledger, int ratePerSecond, Func<Task<(long Killed, long Gone)>> kill,
        Func<string> whatElse, CancellationToken cancellationToken)
    {
        var writer = new SequenceWriter(table, ledger.NextNumber, ratePerSecond);
        writer.Start();
        long killed;
        SequenceWriter.Ack first;
        try
        {
            await Task.Delay(WarmUp, cancellationToken);
            if (writer.Acks.Count == 0)
                throw new InvalidOperationException($"No write was acknowledged before the kill ({writer.Failures} failed: {writer.FirstError}).");
            (killed, var gone) = await kill();
            first = await writer.FirstAckSentAfterAsync(gone, Deadline,
                () => $"first error {writer.FirstError}; last {writer.LastError}; {whatElse()}", cancellationToken);
            await Task.Delay(After, cancellationToken);
        }
        finally
        {
            await writer.StopAsync();
            ledger.NextNumber = writer.NextNumber;
        }

        var acks = writer.Acks;
        ledger.Acknowledged.AddRange(acks.Select(a => a.Number));
        var before = acks.Where(a => a.Acknowledged < killed).ToList();
        var rate = before.Count < 2 ? 0 : before.Count / Stopwatch.GetElapsedTime(before[0].Acknowledged, killed).TotalSeconds;
        var missing = await table.MissingAsync(ledger.Acknowledged, cancellationToken);
        var lost = missing.Where(n => !ledger.Missing.Contains(n)).ToList();
        ledger.Missing.UnionWith(lost);
        var lostAcks = acks.Where(a => lost.Contains(a.Number)).Select(a => (a.Number, Stopwatch.GetElapsedTime(killed, a.Acknowledged))).ToList();
        return new WriteOutage(Stopwatch.GetElapsedTime(killed, first.Acknowledged), rate, before.Count, acks.Count - before.Count, lost,
            writer.Failures, writer.FirstError is null ? null : $"first: {writer.FirstError}; last: {writer.LastError}", lostAcks);
    }
}
