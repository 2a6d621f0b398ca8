namespace Hoard.Contracts.Guest;

/// <summary>The backup strategies (Trove's names where Trove has one), chosen per datastore version.</summary>
public static class BackupStrategies
{
    /// <summary>MariaDB physical, full or incremental: <c>mariadb-backup --backup --stream=xbstream</c>.</summary>
    public const string MariaDbBackup = "mariadb-backup";

    /// <summary>MariaDB logical: <c>mariadb-dump --single-transaction --all-databases</c>.</summary>
    public const string MariaDbDump = "mariadb-dump";

    /// <summary>PostgreSQL physical: <c>pg_basebackup -Ft -D - -X fetch</c> (a tar stream).</summary>
    public const string PgBaseBackup = "pg_basebackup";

    /// <summary>PostgreSQL logical: <c>pg_dumpall</c>.</summary>
    public const string PgDump = "pg_dump";

    /// <summary>Redis: the RDB snapshot after <c>SAVE</c>.</summary>
    public const string RedisRdb = "redis-rdb";

    /// <summary>The header that carries a transfer's one-time token (never a URL query, never a log line).</summary>
    public const string TokenHeader = "X-Hoard-Transfer-Token";
}

/// <summary>
/// One HTTP transfer of a backup's data between a guest and hoard-server: the guest PUTs the stream to
/// <paramref name="Url"/> (create) or GETs it (restore), with <paramref name="Token"/> in
/// <see cref="BackupStrategies.TokenHeader"/>. The data on the wire is the datastore tool's output compressed with zstd;
/// hoard-server encrypts, checksums and stores it, so guests never hold storage credentials or keys.
/// </summary>
/// <param name="Token">A secret valid for this transfer only.</param>
public sealed record BackupTransfer(string Url, string Token);

/// <summary>
/// <c>create_backup</c> (a call): run the strategy's tool against the running server and stream its output, zstd
/// compressed, to <paramref name="Upload"/>, without a full copy on disk.
/// </summary>
/// <param name="Parent">For an incremental backup, the backup it builds on, with the metadata its own backup returned.</param>
public sealed record CreateBackupRequest(string BackupId, string Strategy, BackupTransfer Upload, BackupParent? Parent = null);

/// <param name="Metadata">What the parent's <see cref="CreateBackupResult.Metadata"/> held (e.g. MariaDB's <c>to_lsn</c>).</param>
public sealed record BackupParent(string BackupId, IReadOnlyDictionary<string, string> Metadata);

/// <param name="ToolBytes">Bytes the tool wrote, before compression.</param>
/// <param name="Metadata">What a later incremental or restore needs to know (LSNs, WAL positions, the tool's version).</param>
public sealed record CreateBackupResult(long ToolBytes, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// Part of <see cref="PrepareRequest"/>: instead of initialising an empty server, restore these backups (a full one,
/// then its incrementals in order), then start it. hoard-server has verified each one's checksum before handing out
/// its transfer.
/// </summary>
/// <param name="Recovery">For a point-in-time restore: the archived WAL to replay after the backup, and where to stop.</param>
public sealed record RestoreSource(string Strategy, IReadOnlyList<RestoreLayer> Layers, PointInTimeRecovery? Recovery = null);

/// <param name="Metadata">What the backup's <see cref="CreateBackupResult.Metadata"/> held.</param>
public sealed record RestoreLayer(string BackupId, BackupTransfer Download, IReadOnlyDictionary<string, string> Metadata);
