namespace Hoard.Bench.Scale;

/// <summary>Heartbeats sent in one run and how long until the last of them was processed.</summary>
internal sealed record HeartbeatFigures(int Messages, TimeSpan Elapsed)
{
    public double PerSecond => Messages / Elapsed.TotalSeconds;
}
