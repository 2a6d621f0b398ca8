using Hoard.Core.Catalog;
using Hoard.Core.Compute;
using Hoard.Persistence;
using Hoard.Server.Trove;

namespace Hoard.Server.Apis;

/// <summary>
/// With the <c>hosts</c> compute provider, a create no known host could ever hold (its flavor's RAM or its volume is
/// larger than any host offers) is refused up front (400) rather than built into ERROR. What is free right now is left
/// to placement: it changes between the request and the build.
/// </summary>
internal static class HostCapacityCheck
{
    public static async Task RequireSomeHostCanHoldAsync(IComputeProvider compute, HostStore hosts, Flavor flavor, int volumeGb,
        CancellationToken cancellationToken)
    {
        if (compute.Name != "hosts" || await hosts.ListAsync(cancellationToken) is not { Count: > 0 } known)
        {
            return;
        }

        if (!known.Any(h => h.RamMb >= flavor.RamMb && h.DiskGb >= volumeGb))
        {
            throw TroveFault.BadRequest(
                $"No host can ever hold this instance ({flavor.RamMb} MB of RAM, {volumeGb} GB of disk): the hosts offer at most " +
                $"{known.Max(h => h.RamMb)} MB of RAM and {known.Max(h => h.DiskGb)} GB of disk.");
        }
    }
}
