namespace Hoard.Core.Compute;

/// <summary>Where an instance goes, or why it can go nowhere (<see cref="Host"/> null, <see cref="Reason"/> for its fault).</summary>
public sealed record PlacementDecision(string? Host, string Reason)
{
    public static PlacementDecision To(string host, string reason) => new(host, reason);

    public static PlacementDecision Nowhere(string reason) => new(null, reason);
}
