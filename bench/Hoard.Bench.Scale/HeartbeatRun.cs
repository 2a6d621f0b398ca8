using System.Diagnostics;

namespace Hoard.Bench.Scale;

/// <summary>
/// Rounds of heartbeats: in each, every guest casts one, all at once, and the next round starts once the conductor has
/// processed the whole round. A guest thus never has two heartbeats in flight, as in production (its heartbeats are
/// seconds apart): otherwise the conductor, which drops a report older than one it already accepted, would skip work
/// that it never has to skip in practice, and look faster. The rate is the messages over the sum of the rounds' times,
/// each from its first send until it was seen processed (<see cref="RoundEnd"/>), so the pauses between rounds do not count.
/// </summary>
internal static class HeartbeatRun
{
    /// <summary>
    /// When the round that started at the given time (with the given index) was completely processed, or null while
    /// it is not yet: the receiver's own clock where it has one, else the moment a poll saw it done.
    /// </summary>
    public delegate Task<DateTimeOffset?> RoundEnd(DateTimeOffset roundStart, int round, CancellationToken cancellationToken);

    public static async Task<HeartbeatFigures> RunAsync(SimulatedGuests guests, int rounds, RoundEnd roundEnd, TimeSpan poll,
        TimeSpan deadline, CancellationToken cancellationToken)
    {
        var busy = TimeSpan.Zero;
        var started = Stopwatch.GetTimestamp();
        for (var round = 0; round < rounds; round++)
        {
            var roundStart = DateTimeOffset.UtcNow;
            await guests.SendRoundAsync(round, cancellationToken);
            DateTimeOffset? end;
            while ((end = await roundEnd(roundStart, round, cancellationToken)) is null)
            {
                if (Stopwatch.GetElapsedTime(started) > deadline)
                    throw new TimeoutException($"Round {round + 1} of heartbeats was not processed within {deadline.TotalSeconds:0} s of the first round.");
                await Task.Delay(poll, cancellationToken);
            }

            busy += end.Value - roundStart;
        }

        return new HeartbeatFigures(rounds * guests.Count, busy);
    }
}
