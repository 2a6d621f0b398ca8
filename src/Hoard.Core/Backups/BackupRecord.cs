namespace Hoard.Core.Backups;

/// <summary>A backup as the state database holds it.</summary>
public sealed class BackupRecord
{
    public required string Id { get; set; }
    public required string ProjectId { get; set; }

    /// <summary>The instance backed up; it may since have been deleted, the backup stays.</summary>
    public string? InstanceId { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    public string Status { get; set; } = BackupStatus.New;
    public required string DatastoreType { get; set; }
    public required string DatastoreVersion { get; set; }
    public required string DatastoreVersionId { get; set; }

    /// <summary>The guest's strategy (<see cref="Hoard.Contracts.Guest.BackupStrategies"/>), which a restore must use too.</summary>
    public required string Strategy { get; set; }

    /// <summary>For an incremental backup, the backup it builds on.</summary>
    public string? ParentId { get; set; }

    /// <summary>Bytes stored (compressed, and encrypted when <see cref="Encrypted"/>).</summary>
    public long? Size { get; set; }

    /// <summary>Bytes the datastore's tool wrote before compression: about what a restore puts on the volume.</summary>
    public long? ToolBytes { get; set; }

    /// <summary>SHA-256 (lowercase hex) of the stored bytes.</summary>
    public string? Checksum { get; set; }
    public string? Location { get; set; }
    public bool Encrypted { get; set; }
    public required string StorageDriver { get; set; }

    /// <summary>The storage container the backup is in (Trove's <c>swift_container</c>); null for the configured one.</summary>
    public string? Container { get; set; }

    /// <summary>What the guest returned for later incrementals and restores (JSON object of strings).</summary>
    public string Metadata { get; set; } = "{}";

    /// <summary>Why the backup failed, in words a user can act on.</summary>
    public string? Fault { get; set; }
    public DateTimeOffset Created { get; set; }
    public DateTimeOffset Updated { get; set; }
    public bool Deleted { get; set; }
    public DateTimeOffset? DeletedAt { get; set; }

    public string StorageKey => BackupKeys.For(ProjectId, Id);
}
