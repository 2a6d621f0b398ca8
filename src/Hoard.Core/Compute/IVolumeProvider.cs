namespace Hoard.Core.Compute;

/// <summary>An instance's disk.</summary>
public interface IVolumeProvider
{
    string Name { get; }

    /// <summary>Create (or find) the volume and return the path where it is mounted. Idempotent.</summary>
    Task<string> CreateAsync(string instanceId, int sizeGb, CancellationToken cancellationToken);

    /// <summary>Used bytes, or null when the volume does not exist.</summary>
    Task<long?> GetUsedBytesAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>Destroy the volume and its data. Idempotent.</summary>
    Task DeleteAsync(string instanceId, CancellationToken cancellationToken);
}
