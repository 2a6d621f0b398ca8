namespace Hoard.Bench.Failover;

/// <summary>What the writer saw around one kill.</summary>
/// <param name="Rto">Kill → the first acknowledged write sent after every killed process was gone.</param>
/// <param name="WritesPerSecond">Acknowledged writes per second from the first ack to the kill.</param>
/// <param name="AckedBefore">Writes acknowledged before the kill.</param>
/// <param name="AckedAfter">Writes acknowledged after it (the first one included, and those of the second that follows).</param>
/// <param name="Lost">Numbers acknowledged (in this run or before) that the server no longer holds, and were still there after the previous run.</param>
/// <param name="FailedAttempts">Writes and connects that failed, each followed by a new connection after the retry delay.</param>
/// <param name="Error">The first failure the writer saw, and the last.</param>
/// <param name="LostAcks">For each lost number acknowledged in this run: when, relative to the kill (negative: before it).</param>
internal sealed record WriteOutage(
    TimeSpan Rto, double WritesPerSecond, int AckedBefore, int AckedAfter, IReadOnlyList<long> Lost, int FailedAttempts, string? Error,
    IReadOnlyList<(long Number, TimeSpan AckedAfterKill)> LostAcks);
