using System.Globalization;
using Hoard.Contracts.Guest;
using Hoard.Guest.Backups;

namespace Hoard.Guest.Datastores.MariaDb;

/// <summary>
/// MariaDB's side of log archiving for point-in-time recovery. While the WAL spool exists (the instance's datastore
/// version has <c>point_in_time_recovery</c>) the server writes a binary log, and a loop here closes the current file
/// (<c>FLUSH BINARY LOGS</c>) at the latest <see cref="MariaDbConfigTemplate.ArchiveTimeoutKey"/> after a transaction
/// went into it, copies each closed file into the spool durably, keeping its modification time (the guest's
/// <see cref="WalSpoolUploader"/> sends it with that time as its end), and then purges it from the server.
/// </summary>
internal sealed class MariaDbBinlogArchive(GuestConfig config, MariaDbOptions options, MariaDbServer server, Action<string> log, TimeProvider time)
    : IAsyncDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly HashSet<string> _spooled = new(StringComparer.Ordinal);
    private Task? _loop;
    private string? _flushedAtGtid;
    private DateTimeOffset _lastFlush = time.GetUtcNow();
    private string? _lastFailure;

    public string Spool => WalSpool.Directory(config.Paths);

    /// <summary>
    /// True while the instance takes part in replication: archived files stay on the server (until
    /// <c>binlog_expire_logs_seconds</c>) for replicas that are behind, are being built from a backup, or are disconnected;
    /// the last archived file is recorded instead, so a restarted guest does not archive a file twice.
    /// </summary>
    public Func<bool> RetainForReplicas { get; init; } = () => false;

    /// <summary>Where the last file archived while <see cref="RetainForReplicas"/> is recorded.</summary>
    public static string ArchivedUpToPath(InstancePaths paths) => Path.Combine(paths.Etc, "binlog-archived-up-to");

    /// <summary>True while the instance archives its binary log: the server is to be configured with one.</summary>
    public bool Enabled => Directory.Exists(Spool);

    public void EnsureSpool()
    {
        if (!Directory.Exists(Spool))
            Directory.CreateDirectory(Spool, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>Starts the archiving loop; it does nothing while archiving is off or the server is not running.</summary>
    public void Start() => _loop ??= Task.Run(() => RunAsync(_stopping.Token));

    /// <summary>
    /// What a point-in-time restore needs to know of a full backup: the binary log file and position it is consistent at
    /// (from <c>xtrabackup_binlog_info</c>, in <paramref name="backupMetadata"/> as <c>binlog_file</c>,
    /// <c>binlog_position</c>) and <paramref name="endedBy"/>, a time at or after its end. Empty when either is missing.
    /// </summary>
    public static IReadOnlyDictionary<string, string> BackupMetadata(IReadOnlyDictionary<string, string> backupMetadata, DateTimeOffset endedBy) =>
        backupMetadata.GetValueOrDefault("binlog_file") is { } file && backupMetadata.GetValueOrDefault("binlog_position") is { } position
            ? new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [WalArchiving.StartFileKey] = file,
                [WalArchiving.StartPositionKey] = position,
                [WalArchiving.ConsistentAtKey] = endedBy.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
            }
            : new Dictionary<string, string>();

    /// <summary>
    /// Closes the current file now and archives what is closed. A failure only delays the window (the loop archives the
    /// file later), so it is logged, not thrown.
    /// </summary>
    public async Task ArchiveNowAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Run(() => Archive(force: true), cancellationToken);
        }
        catch (Exception e) when (e is MariaDbException or IOException or InvalidDataException or UnauthorizedAccessException)
        {
            log($"mariadb: closing the binary log after the backup failed; it is archived at the next round: {e.Message}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
            return;
        await _stopping.CancelAsync();
        if (_loop is not null)
            await _loop;
        _stopping.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Poll, time, cancellationToken);
                if (!Enabled || server.Supervisor is not { IsRunning: true } || !File.Exists(server.Paths.AdminCredentials))
                    continue;
                Archive(force: false);
                if (_lastFailure is not null)
                    log("mariadb: binary log archiving works again.");
                _lastFailure = null;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                if (e.Message != _lastFailure)
                    log($"mariadb: binary log archiving failed, retrying: {e.Message}");
                _lastFailure = e.Message;
            }
        }
    }

    private void Archive(bool force)
    {
        lock (_gate)
            ArchiveLocked(force);
    }

    private void ArchiveLocked(bool force)
    {
        using var connection = server.OpenAdmin(options.QueryTimeout);
        if (connection.Query("SELECT @@GLOBAL.log_bin")[0][0] != "1")
            return;
        // gtid_binlog_pos moves only when a transaction is written to the binary log: an idle server rotates nothing.
        var gtid = connection.Query("SELECT @@GLOBAL.gtid_binlog_pos")[0][0] ?? "";
        var now = time.GetUtcNow();
        if (force || (gtid != _flushedAtGtid && now - _lastFlush >= ArchiveTimeout()))
        {
            connection.Execute("FLUSH BINARY LOGS");
            _flushedAtGtid = gtid;
            _lastFlush = now;
        }

        var files = connection.Query("SHOW BINARY LOGS").Select(row => row[0]!).ToList();
        _spooled.IntersectWith(files);
        if (files.Count < 2)
            return;
        var retain = RetainForReplicas();
        var archivedUpTo = retain && File.Exists(ArchivedUpToPath(config.Paths)) ? File.ReadAllText(ArchivedUpToPath(config.Paths)).Trim() : "";
        foreach (var name in files.SkipLast(1).Where(n => !_spooled.Contains(n) && string.CompareOrdinal(n, archivedUpTo) > 0))
        {
            CopyToSpool(name);
            _spooled.Add(name);
            if (retain)
                AtomicFile.Write(ArchivedUpToPath(config.Paths), name + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        if (retain)
            return;

        // The server keeps a file it still needs for crash recovery; it is purged at a later round, and not spooled twice.
        connection.Execute($"PURGE BINARY LOGS TO {connection.Literal(files[^1])}");
    }

    /// <summary>Copies a closed file into the spool (temporary name, fsync, rename, fsync of the directory) with its modification time.</summary>
    private void CopyToSpool(string name)
    {
        if (!IsBinaryLogName(name))
            throw new InvalidDataException($"The binary log file '{name}' is not named as the guest configured it.");
        var source = Path.Combine(server.Paths.DataDirectory, name);
        var target = Path.Combine(Spool, name);
        if (File.Exists(target))
            return;
        var modified = File.GetLastWriteTimeUtc(source);
        var temporary = Path.Combine(Spool, WalSpool.TemporaryPrefix + name);
        using (var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        using (var output = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            input.CopyTo(output);
            output.Flush(flushToDisk: true);
        }

        File.SetLastWriteTimeUtc(temporary, modified);
        File.Move(temporary, target, overwrite: true);
        Datastores.Native.LibC.SyncDirectory(Spool);
    }

    private TimeSpan ArchiveTimeout() =>
        MariaDbConfigTemplate.ArchiveTimeout(ConfigurationState.Load(Path.Combine(config.Paths.Etc, ConfigurationState.FileName))?.Overrides);

    /// <summary>A name the server gives a file under <see cref="MariaDbConfigTemplate.BinaryLogBase"/> (<c>binlog.000001</c>).</summary>
    public static bool IsBinaryLogName(string name) =>
        name.StartsWith("binlog.", StringComparison.Ordinal) && name.Length >= 13 && name[7..].All(char.IsAsciiDigit);
}
