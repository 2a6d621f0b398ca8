namespace Hoard.Contracts.Guest;

/// <summary>
/// Continuous archiving of a datastore's write-ahead log (PostgreSQL's WAL) to hoard-server, for point-in-time recovery.
/// The guest PUTs each finished file, zstd-compressed, to <c>{Url}/{file name}</c> with the instance's WAL token in
/// <see cref="BackupStrategies.TokenHeader"/>; hoard-server encrypts, checksums and stores it next to the backups.
/// </summary>
public static class WalArchiving
{
    /// <summary>When the file was last written (RFC 3339, UTC): nothing written after it is in the file.</summary>
    public const string EndTimeHeader = "X-Hoard-Wal-End-Time";

    /// <summary>Backup metadata: the first WAL file a restore of the backup replays (e.g. <c>000000010000000000000002</c>).</summary>
    public const string StartFileKey = "wal_start_file";

    /// <summary>Backup metadata: a time (RFC 3339, UTC) at or after the end of the backup, the earliest a restore may stop at.</summary>
    public const string ConsistentAtKey = "wal_consistent_at";

    /// <summary>
    /// Backup metadata, for logs that replay from a byte offset (MariaDB's binary log): where in
    /// <see cref="StartFileKey"/> the backup is consistent.
    /// </summary>
    public const string StartPositionKey = "wal_start_position";
}

/// <summary>Where the guest archives finished WAL files: <c>PUT {Url}/{name}</c> with <paramref name="Token"/>.</summary>
/// <param name="Token">The instance's WAL token: valid until hoard-server issues the next one, never in a URL or a log.</param>
public sealed record WalArchiveTarget(string Url, string Token);

/// <summary>
/// Part of <see cref="RestoreSource"/>: after unpacking the full backup, replay the archived WAL in
/// <paramref name="Files"/> up to <paramref name="TargetTime"/>, then promote the server and let it take writes.
/// </summary>
/// <param name="Files">The WAL files the replay needs, in order, each with a one-time download.</param>
public sealed record PointInTimeRecovery(DateTimeOffset TargetTime, IReadOnlyList<WalFileDownload> Files);

/// <summary>One archived WAL file and its one-time download (a GET of the file's zstd stream).</summary>
public sealed record WalFileDownload(string Name, BackupTransfer Download);
