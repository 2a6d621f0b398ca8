namespace Hoard.Core.Compute;

/// <summary>
/// Chooses the host of a new instance (pure: the caller supplies hosts, their free capacity and the hosts of the
/// instance's replication set). Among the hosts that are up and have room for the flavor's RAM and the volume, it takes
/// the one with the most free RAM (then the most free disk, then the first name): spreading rather than packing, so
/// each instance keeps headroom to grow and one host's failure takes as few instances as it can, and so that hosts
/// of equal size fill evenly. Locality narrows the candidates first: affinity to the set's host(s), anti-affinity away
/// from them; the soft forms fall back to any host with room.
/// </summary>
public static class HostPlacement
{
    /// <param name="peerHosts">Hosts of the other live members of the instance's replication set (empty for none).</param>
    /// <param name="locality">One of <see cref="Locality"/>'s values, or null for no rule.</param>
    public static PlacementDecision Choose(IReadOnlyList<HostCandidate> hosts, int ramMb, int diskGb, string? locality,
        IReadOnlyCollection<string> peerHosts)
    {
        var up = hosts.Where(h => h.Up).ToList();
        var fitting = up.Where(h => h.FreeRamMb >= ramMb && h.FreeDiskGb >= diskGb).ToList();
        var peers = new HashSet<string>(peerHosts, StringComparer.Ordinal);
        var need = $"{ramMb} MB of RAM and {diskGb} GB of disk";

        if (peers.Count > 0 && locality is Locality.Affinity or Locality.SoftAffinity)
        {
            var together = fitting.Where(h => peers.Contains(h.Name)).ToList();
            if (together.Count > 0)
            {
                return PlacementDecision.To(MostFree(together).Name, $"affinity: with its replication set on {string.Join(", ", peers.Order(StringComparer.Ordinal))}");
            }

            if (locality == Locality.Affinity)
            {
                return PlacementDecision.Nowhere(
                    $"No host can take this instance: locality 'affinity' keeps it with its replication set on " +
                    $"{string.Join(", ", peers.Order(StringComparer.Ordinal))}, which {(peers.Count == 1 ? "has" : "have")} no room for {need} " +
                    $"or {(peers.Count == 1 ? "is" : "are")} down ({Describe(hosts.Where(h => peers.Contains(h.Name)), ramMb, diskGb)}).");
            }
        }

        if (peers.Count > 0 && locality is Locality.AntiAffinity or Locality.SoftAntiAffinity)
        {
            var apart = fitting.Where(h => !peers.Contains(h.Name)).ToList();
            if (apart.Count > 0)
            {
                return PlacementDecision.To(MostFree(apart).Name, $"anti-affinity: away from {string.Join(", ", peers.Order(StringComparer.Ordinal))}");
            }

            if (locality == Locality.AntiAffinity)
            {
                return PlacementDecision.Nowhere(
                    $"No host can take this instance: locality 'anti-affinity' keeps it off {string.Join(", ", peers.Order(StringComparer.Ordinal))} " +
                    $"(its replication set), and no other host has room for {need} ({Describe(hosts.Where(h => !peers.Contains(h.Name)), ramMb, diskGb)}).");
            }
        }

        if (fitting.Count > 0)
        {
            return PlacementDecision.To(MostFree(fitting).Name, "most free RAM");
        }

        return PlacementDecision.Nowhere(hosts.Count == 0
            ? "No host can take this instance: no host agent has reported to this server."
            : $"No host can take this instance: none that is up has room for {need} ({Describe(hosts, ramMb, diskGb)}).");
    }

    private static HostCandidate MostFree(IEnumerable<HostCandidate> hosts) =>
        hosts.OrderByDescending(h => h.FreeRamMb).ThenByDescending(h => h.FreeDiskGb).ThenBy(h => h.Name, StringComparer.Ordinal).First();

    private static string Describe(IEnumerable<HostCandidate> hosts, int ramMb, int diskGb)
    {
        var parts = hosts.OrderBy(h => h.Name, StringComparer.Ordinal).Select(h =>
            !h.Up ? $"{h.Name} is down"
            : h.FreeRamMb < ramMb ? $"{h.Name} has {Math.Max(0, h.FreeRamMb)} MB of RAM free"
            : h.FreeDiskGb < diskGb ? $"{h.Name} has {Math.Max(0, h.FreeDiskGb)} GB of disk free"
            : $"{h.Name} has room").ToList();
        return parts.Count == 0 ? "there is no such host" : string.Join("; ", parts);
    }
}
