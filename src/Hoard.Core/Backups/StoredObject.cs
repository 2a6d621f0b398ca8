namespace Hoard.Core.Backups;

/// <summary>Stored data the pipeline can verify and send back: a backup, or an archived WAL file.</summary>
/// <param name="Description">What it is, in messages: "backup …", "WAL file … of instance …".</param>
/// <param name="Size">The stored bytes recorded, and <paramref name="Checksum"/> their SHA-256.</param>
/// <param name="Container">The storage container it is in; null for the configured one.</param>
public sealed record StoredObject(string Description, string ProjectId, string StorageKey, long? Size, string? Checksum, bool Encrypted,
    string? Container = null);
