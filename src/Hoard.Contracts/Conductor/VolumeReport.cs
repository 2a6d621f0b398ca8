namespace Hoard.Contracts.Conductor;

/// <summary>
/// The filesystem holding the database's files, as the guest measured it (statvfs of the volume's mount point).
/// </summary>
/// <param name="SizeBytes">The filesystem's size (an ext4 volume is a little smaller than the size requested).</param>
/// <param name="AvailableBytes">What the database server can still write.</param>
/// <param name="Full">The guest's verdict: so little is left that writes fail or are about to fail with ENOSPC.</param>
public sealed record VolumeReport(long SizeBytes, long AvailableBytes, bool Full);
