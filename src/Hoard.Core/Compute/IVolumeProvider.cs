namespace Hoard.Core.Compute;

/// <summary>An instance's disk.</summary>
public interface IVolumeProvider
{
    string Name { get; }

    /// <summary>Create (or find) the volume and return the path where it is mounted. Idempotent.</summary>
    Task<string> CreateAsync(string instanceId, int sizeGb, CancellationToken cancellationToken);

    /// <summary>Used bytes, or null when the volume does not exist.</summary>
    Task<long?> GetUsedBytesAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>
    /// Grow the volume and its filesystem to <paramref name="newSizeGb"/>, data intact; never shrinks. Grows while in
    /// use where the host allows it; otherwise calls <paramref name="stopUsers"/> (which must stop everything using the
    /// volume), grows it unmounted and makes it available again, and the caller starts its users again. Idempotent.
    /// </summary>
    /// <returns>True when it grew while in use; false when its users had to be stopped.</returns>
    Task<bool> ResizeAsync(string instanceId, int newSizeGb, Func<CancellationToken, Task> stopUsers, CancellationToken cancellationToken);

    /// <summary>Destroy the volume and its data. Idempotent.</summary>
    Task DeleteAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>The volumes on the host (directories, images, mounts, loop devices), per instance, whatever the state DB says.</summary>
    Task<IReadOnlyList<HeldResource>> ListHeldResourcesAsync(CancellationToken cancellationToken);
}
