namespace Hoard.Core.Backups;

/// <summary>What storing a backup's stream produced.</summary>
/// <param name="Size">Bytes stored.</param>
/// <param name="Checksum">SHA-256 of the stored bytes, lowercase hex.</param>
public sealed record StoredBackup(string Location, long Size, string Checksum, bool Encrypted);
