namespace Hoard.Core.PointInTime;

/// <summary>An archived WAL file as the state database holds it.</summary>
public sealed class WalFileRecord
{
    public required string InstanceId { get; set; }
    public required string ProjectId { get; set; }
    public required string Name { get; set; }
    public WalFileKind Kind { get; set; }
    public long Timeline { get; set; }

    /// <summary>The segment number (segments and their backup histories and partials); null for a timeline history.</summary>
    public long? Segment { get; set; }

    /// <summary>Bytes stored (zstd, and encrypted when <see cref="Encrypted"/>).</summary>
    public long Size { get; set; }

    /// <summary>SHA-256 (lowercase hex) of the stored bytes.</summary>
    public required string Checksum { get; set; }
    public bool Encrypted { get; set; }
    public required string StorageDriver { get; set; }

    /// <summary>When the guest saw the file last written: every commit in the file happened at or before it.</summary>
    public DateTimeOffset EndTime { get; set; }

    /// <summary>When hoard-server stored it.</summary>
    public DateTimeOffset Archived { get; set; }

    public WalFileName FileName => WalFileName.TryParse(Name) ?? throw new InvalidOperationException($"'{Name}' is not a WAL file name.");

    public string StorageKey => FileName.StorageKey(ProjectId, InstanceId);
}
