namespace Hoard.Core.Backups;

/// <summary>
/// Where backups' bytes live (<c>local</c> today; Swift and S3 later). Streaming both ways: nothing holds a whole backup
/// in memory. Keys are <c>&lt;project&gt;/&lt;backup id&gt;</c> (see <see cref="BackupKeys"/>).
/// </summary>
public interface IBackupStorage
{
    /// <summary>The driver's name, shown as a backup's <c>storage_driver</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Stores <paramref name="content"/>, read to its end, under <paramref name="key"/>, replacing what was there. The object
    /// becomes visible only once complete: a put that fails or is cancelled leaves nothing under the key.
    /// </summary>
    /// <returns>Where the object is, as users see it (a backup's <c>locationRef</c>).</returns>
    Task<string> PutAsync(string key, Stream content, CancellationToken cancellationToken);

    /// <exception cref="FileNotFoundException">Nothing is stored under <paramref name="key"/>.</exception>
    Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken);

    /// <summary>Removes the object and anything an unfinished put left; succeeds when there is nothing to remove.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>The stored size in bytes, or null when nothing is stored under <paramref name="key"/>.</summary>
    Task<long?> GetSizeAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// The container objects go to unless a backup names another (Trove's <c>swift_container</c>); null when this storage
    /// has no containers to choose from.
    /// </summary>
    string? DefaultContainer => null;

    /// <summary>The same storage, putting and reading objects in <paramref name="container"/> (a valid <see cref="BackupKeys.IsContainerName"/>).</summary>
    /// <exception cref="NotSupportedException"><see cref="DefaultContainer"/> is null.</exception>
    IBackupStorage InContainer(string container) =>
        throw new NotSupportedException($"{Name} backup storage has no containers to choose from.");
}
