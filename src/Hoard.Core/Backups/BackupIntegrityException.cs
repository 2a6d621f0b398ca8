namespace Hoard.Core.Backups;

/// <summary>A stored backup is missing, or its bytes no longer match the checksum recorded when it was made.</summary>
public sealed class BackupIntegrityException(string message) : Exception(message);
