using Hoard.Core.Backups;

namespace Hoard.Server.Apis;

/// <summary>A point-in-time restore's source, target time and the full backup it starts from.</summary>
internal sealed record PointInTimeTarget(string SourceInstanceId, DateTimeOffset Target, IReadOnlyList<BackupRecord> Layers);
