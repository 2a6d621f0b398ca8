namespace Hoard.Bench.Backup;

/// <summary>A datastore's side of the bench: its dataset, and its backup and restore done by hand on the same host.</summary>
internal interface IByHandBackup
{
    /// <summary>Loads about <paramref name="targetBytes"/> of table data as the application user; returns the rows written.</summary>
    Task<long> LoadAsync(BenchInstance instance, long targetBytes, CancellationToken cancellationToken);

    /// <summary>The rows of the bench table, counted as the application user over TCP.</summary>
    Task<long> CountRowsAsync(BenchInstance instance, CancellationToken cancellationToken);

    /// <summary>
    /// The backup tool, as the guest runs it, on the running instance, its output through <c>zstd -1</c> to
    /// <paramref name="output"/>: <c>/dev/null</c>, or a file that is then flushed to disk (<c>sync FILE</c>); returns the
    /// wall-clock time.
    /// </summary>
    Task<TimeSpan> BackupAsync(BenchInstance instance, string output, CancellationToken cancellationToken);

    /// <summary>
    /// From the compressed stream on local disk to a new server answering: decompress and unpack (and prepare), then
    /// start and poll until the server answers; then stop it and delete its directory. Returns the time to answering.
    /// </summary>
    Task<TimeSpan> RestoreAsync(string stream, int index, CancellationToken cancellationToken);
}
