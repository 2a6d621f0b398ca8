namespace Hoard.Core.Compute;

/// <param name="Name">The host's unique name (its agent's topic is <c>host.&lt;name&gt;</c>).</param>
/// <param name="Up">Its agent reported lately.</param>
/// <param name="FreeRamMb">RAM not yet promised to instances placed there (and not more than the host measures free).</param>
/// <param name="FreeDiskGb">Disk likewise.</param>
public sealed record HostCandidate(string Name, bool Up, long FreeRamMb, long FreeDiskGb);
