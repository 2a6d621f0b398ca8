using Hoard.Contracts.Guest;

namespace Hoard.Core.Instances;

/// <summary>An instance as the state database holds it.</summary>
public sealed class InstanceRecord
{
    public required string Id { get; set; }
    public required string ProjectId { get; set; }
    public required string Name { get; set; }
    public required string FlavorId { get; set; }
    public required string DatastoreVersionId { get; set; }
    public int VolumeSize { get; set; }
    public InstanceTask Task { get; set; }
    public ServerStatus ServerStatus { get; set; }
    public ServiceStatus ServiceStatus { get; set; }
    public DateTimeOffset? ServiceStatusUpdated { get; set; }
    public string? Address { get; set; }
    public int Port { get; set; }
    public string? BusSecretHash { get; set; }
    public string? AvailabilityZone { get; set; }

    /// <summary>The configuration group attached, if any.</summary>
    public string? ConfigurationId { get; set; }

    /// <summary>Digest of the overrides the guest last confirmed; <c>failed:</c> + digest when it refused them.</summary>
    public string? ConfigurationApplied { get; set; }

    /// <summary>Networks allowed to connect, as <see cref="Hoard.Core.Instances.AllowedCidrs.ToStored"/> writes them; null for everyone.</summary>
    public string? AllowedCidrs { get; set; }

    /// <summary>The source this instance replicates from; null unless it is a replica.</summary>
    public string? ReplicaOf { get; set; }

    /// <summary>The latest <see cref="ReplicationReport"/> its guest sent (JSON); null for a standalone instance.</summary>
    public string? Replication { get; set; }

    public DateTimeOffset? ReplicationUpdated { get; set; }

    /// <summary>When its guest last reported the database server serving (HEALTHY or RUNNING).</summary>
    public DateTimeOffset? LastHealthy { get; set; }

    /// <summary>The replication set it belongs to (its stable write endpoint), while it has a source or replicas.</summary>
    public string? ReplicationSet { get; set; }

    /// <summary>The host of the <c>hosts</c> compute provider it was placed on; null with the local provider or before placement.</summary>
    public string? Host { get; set; }

    /// <summary>Trove's locality asked on create: how its replicas are placed relative to it (see Compute.Locality).</summary>
    public string? Locality { get; set; }
    public DateTimeOffset Created { get; set; }
    public DateTimeOffset Updated { get; set; }
    public bool Deleted { get; set; }
    public DateTimeOffset? DeletedAt { get; set; }
}

public sealed record InstanceFault(string InstanceId, string Message, string? Details, DateTimeOffset Created);
