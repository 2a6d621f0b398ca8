namespace Hoard.Core.Compute;

/// <summary>A machine of the <c>hosts</c> compute provider as the state DB holds it (its agent's last report).</summary>
public sealed class HostRecord
{
    public required string Id { get; set; }
    public required string Name { get; set; }
    public required string Address { get; set; }
    public long RamMb { get; set; }
    public long DiskGb { get; set; }
    public long FreeRamMb { get; set; }
    public long FreeDiskGb { get; set; }

    /// <summary><c>up</c> while its agent reports, <c>down</c> once it has been silent too long.</summary>
    public required string Status { get; set; }
    public DateTimeOffset? LastSeen { get; set; }
    public DateTimeOffset Created { get; set; }
    public DateTimeOffset Updated { get; set; }

    /// <summary>Flavors' RAM (MB) of the live instances placed here.</summary>
    public long AllocatedRamMb { get; set; }

    /// <summary>Volume sizes (GB) of the live instances placed here.</summary>
    public long AllocatedDiskGb { get; set; }
}
