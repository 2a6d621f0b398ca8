using System.Globalization;
using System.Text.Json;
using Hoard.Contracts;
using Hoard.Contracts.Guest;
using Hoard.Core.Backups;

namespace Hoard.Core.PointInTime;

/// <summary>A COMPLETED full backup a point-in-time restore can start from: where its WAL begins and when it became consistent.</summary>
public sealed record RecoverableBackup(string BackupId, uint Timeline, long StartSegment, DateTimeOffset ConsistentAt)
{
    /// <summary>
    /// The backup, if it can start a point-in-time restore: COMPLETED, full, and taken by a guest that recorded where its
    /// WAL starts (<see cref="WalArchiving.StartFileKey"/>, <see cref="WalArchiving.ConsistentAtKey"/>).
    /// </summary>
    public static RecoverableBackup? From(BackupRecord backup)
    {
        if (backup.Status != BackupStatus.Completed || backup.ParentId is not null)
            return null;
        Dictionary<string, string>? metadata;
        try
        {
            metadata = JsonSerializer.Deserialize(backup.Metadata, HoardJson.Default.DictionaryStringString);
        }
        catch (JsonException)
        {
            return null;
        }

        if (metadata is null
            || WalFileName.TryParse(metadata.GetValueOrDefault(WalArchiving.StartFileKey)) is not { Kind: WalFileKind.Segment } start
            || !DateTimeOffset.TryParse(metadata.GetValueOrDefault(WalArchiving.ConsistentAtKey), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal, out var consistentAt))
            return null;
        return new RecoverableBackup(backup.Id, start.Timeline, start.Segment!.Value, consistentAt.ToUniversalTime());
    }
}
