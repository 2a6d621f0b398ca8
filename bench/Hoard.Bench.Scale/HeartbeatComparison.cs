namespace Hoard.Bench.Scale;

/// <summary>Heartbeat runs over one bus: Hoard's conductor and the bare one.</summary>
/// <param name="Bus">The bus, as the report names it.</param>
/// <param name="Order">How the two sides' runs were ordered.</param>
internal sealed record HeartbeatComparison(string Bus, string Order)
{
    public List<HeartbeatFigures> Hoard { get; } = [];

    public List<HeartbeatFigures> Bare { get; } = [];
}
