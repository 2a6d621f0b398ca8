using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Hoard.Bench.Failover;

/// <summary>
/// One datastore's runs: a by-hand server and a Hoard source with one replica, set up once; then per run a kill -9 and
/// restart of the by-hand server and a kill -9 of Hoard's current source, alternating (the side that goes first changes
/// from run to run), so that both see the same drift of the shared machine's load.
/// </summary>
internal static class DatastoreRuns
{
    public static async Task RunAsync(DatastoreFigures figures, HoardReplicationSet hoard, string work, string osUser, BenchOptions options,
        CancellationToken cancellationToken)
    {
        var datastore = figures.Datastore;
        await using var byHand = datastore.ByHand(work, osUser);
        figures.BaselineRecipe = byHand.Recipe;
        var byHandTable = datastore.Table(await byHand.SetUpAsync(cancellationToken));
        await byHandTable.CreateAsync(cancellationToken);
        figures.WriteDescription = byHandTable.WriteDescription;
        var byHandLedger = new AckLedger();

        var setUp = Stopwatch.GetTimestamp();
        var (source, replica, endpoint) = await hoard.CreateAsync(datastore, cancellationToken);
        var hoardTable = datastore.Table(endpoint);
        var serving = Stopwatch.GetElapsedTime(setUp);
        var (answered, firstError) = await CreateThroughEndpointAsync(hoardTable, cancellationToken);
        await hoard.WaitServingAsync(replica, source, cancellationToken);
        Console.WriteLine($"source {source}, replica {replica}, write endpoint {endpoint}: serving in {Report.Seconds(serving)}; " +
                          $"the endpoint took the table {Report.Seconds(answered)} later{(firstError is null ? "" : $" (first failure: {firstError})")}");
        var hoardLedger = new AckLedger();
        string[] members = [source, replica];

        for (var i = 1; i <= options.Runs; i++)
        {
            async Task ByHandAsync()
            {
                var outage = await OutageMeasurement.MeasureAsync(byHandTable, byHandLedger, options.Rate, async () =>
                {
                    var killed = Stopwatch.GetTimestamp();
                    await byHand.KillAsync();
                    var gone = Stopwatch.GetTimestamp();
                    byHand.Restart();
                    return (killed, gone);
                }, () => "the by-hand server was restarted", cancellationToken);
                figures.ByHand.Add(outage);
                Console.WriteLine($"by hand {i,2}: RTO {Report.Seconds(outage.Rto)}, {outage.Lost.Count} lost, {outage.WritesPerSecond:0} writes/s before the kill");
            }

            async Task HoardAsync()
            {
                var (run, killed) = await FailOverAsync(hoard, hoardTable, hoardLedger, options.Rate, members, cancellationToken);
                figures.Hoard.Add(run);
                Console.WriteLine($"Hoard   {i,2}: RTO {Report.Seconds(run.Outage.Rto)}, {run.Outage.Lost.Count} lost, {run.Outage.WritesPerSecond:0} writes/s before the kill; " +
                                  $"downtime_seconds {Report.Seconds(run.DowntimeSeconds)}; kill → promoted {Report.Seconds(run.ToPromoted)}; {run.OldSource[..8]} → {run.NewSource[..8]}");
                // The next run kills the new source: the old one must be a caught-up replica by then.
                await hoard.WaitServingAsync(run.OldSource, run.NewSource, cancellationToken);
                figures.Hoard[^1] = run with { Rebuilt = Stopwatch.GetElapsedTime(killed) };
                Console.WriteLine($"            old source {run.OldSource[..8]} rebuilt as a replica and caught up {Report.Seconds(figures.Hoard[^1].Rebuilt!.Value)} after the kill");
            }

            await (i % 2 == 1 ? ByHandAsync() : HoardAsync());
            await (i % 2 == 1 ? HoardAsync() : ByHandAsync());
        }
    }

    /// <summary>Kills the set's current source under writes through the endpoint, then waits for the failover's event; returns it and when the kill was.</summary>
    private static async Task<(HoardRun Run, long Killed)> FailOverAsync(HoardReplicationSet hoard, ISequenceTable table, AckLedger ledger, int rate, string[] members,
        CancellationToken cancellationToken)
    {
        var oldSource = await hoard.EndpointSourceAsync(members[0], cancellationToken);
        var other = members.Single(m => m != oldSource);
        var lastEvent = await hoard.LatestEventIdAsync(oldSource, cancellationToken);
        var killedAt = DateTimeOffset.MinValue;
        long killed = 0;
        IReadOnlyList<string> processes = [];
        var outage = await OutageMeasurement.MeasureAsync(table, ledger, rate, async () =>
        {
            killedAt = TimeProvider.System.GetUtcNow();
            var kill = await HoardReplicationSet.KillAsync(oldSource, [other]);
            (killed, processes) = (kill.Killed, kill.Processes);
            return (kill.Killed, kill.Gone);
        }, () => $"killed {oldSource}", cancellationToken);

        var failover = await hoard.WaitFailoverFinishedAsync(other, oldSource, lastEvent, OutageMeasurement.Deadline, cancellationToken);
        if ((string?)failover["outcome"] != "succeeded")
            throw new InvalidOperationException($"The failover of {oldSource} finished {(string?)failover["outcome"]}: {failover.ToJsonString()}");
        var newSource = (string?)failover["new_source"] ?? throw new InvalidDataException($"No new_source in {failover.ToJsonString()}");
        if (await hoard.EndpointSourceAsync(newSource, cancellationToken) is var leadsTo && leadsTo != newSource)
            throw new InvalidOperationException($"After the failover to {newSource} the write endpoint leads to {leadsTo}.");
        return (new HoardRun(outage, oldSource, newSource, failover["downtime_seconds"]?.GetValue<double>(),
            After(failover, "detected", killedAt), After(failover, "fenced", killedAt), After(failover, "promoted", killedAt),
            After(failover, "finished", killedAt), Rebuilt: null, processes), killed);
    }

    /// <summary>
    /// The table made through the endpoint, retried: a set's endpoint may be shown a moment before it takes connections.
    /// Returns how long that took and the first failure, which the output shows (it is not hidden by the retries).
    /// </summary>
    private static async Task<(TimeSpan Elapsed, string? FirstError)> CreateThroughEndpointAsync(ISequenceTable table, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        string? firstError = null;
        while (true)
        {
            try
            {
                await table.CreateAsync(cancellationToken);
                return (Stopwatch.GetElapsedTime(started), firstError);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                firstError ??= e.Message.ReplaceLineEndings(" ");
                if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(60))
                    throw new InvalidOperationException($"The write endpoint did not take a CREATE TABLE within 60 s: first {firstError}; last {e.Message}", e);
                await Task.Delay(200, cancellationToken);
            }
        }
    }

    private static double? After(JsonObject failover, string moment, DateTimeOffset killedAt) =>
        (string?)failover[moment] is { } text ? (DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture) - killedAt).TotalSeconds : null;
}
