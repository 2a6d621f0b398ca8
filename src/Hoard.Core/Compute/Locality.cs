namespace Hoard.Core.Compute;

/// <summary>
/// Trove's <c>locality</c>: where the members of one replication set (a source and its replicas) run relative to each
/// other. Hard rules fail a placement they cannot keep; soft ones prefer and fall back.
/// </summary>
public static class Locality
{
    public const string Affinity = "affinity";
    public const string SoftAffinity = "soft-affinity";
    public const string AntiAffinity = "anti-affinity";
    public const string SoftAntiAffinity = "soft-anti-affinity";

    /// <summary>
    /// Replicas of a source that asked for nothing: different hosts where there are, so one host's death takes at most
    /// one member; soft, so a deployment with one host still gets its replicas.
    /// </summary>
    public const string ReplicaDefault = SoftAntiAffinity;

    public static IReadOnlyList<string> All { get; } = [Affinity, SoftAffinity, AntiAffinity, SoftAntiAffinity];

    public static bool IsValid(string? value) => value is not null && All.Contains(value, StringComparer.Ordinal);
}
