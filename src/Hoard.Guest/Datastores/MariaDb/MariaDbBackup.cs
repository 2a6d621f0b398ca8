using System.Diagnostics;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Backups;

namespace Hoard.Guest.Datastores.MariaDb;

/// <summary>
/// Physical backups with <c>mariadb-backup</c> (<see cref="BackupStrategies.MariaDbBackup"/>): a hot copy of the data
/// directory streamed as xbstream while the server keeps running; restored with <c>mbstream -x</c> and
/// <c>mariadb-backup --prepare</c> into a new data directory. An incremental backup holds the pages changed since its
/// parent's <c>to_lsn</c>; a chain is restored by preparing the full backup, then applying each incremental in order.
/// </summary>
internal sealed partial class MariaDbBackup(MariaDbOptions options, MariaDbServer server, Action<string> log)
{
    /// <summary>
    /// Streams a full backup, or with <see cref="CreateBackupRequest.Parent"/> an incremental one, to hoard-server, after
    /// bringing InnoDB's checkpoint up to date. mariadb-backup reads the server's own <c>my.cnf</c> and the guest's
    /// credentials file through a small option file, so the password is never on its command line; its scratch
    /// files (the LSN checkpoint, a temporary copy of the redo log) stay on the volume and are removed after.
    /// </summary>
    public async Task<CreateBackupResult> CreateAsync(CreateBackupRequest request, CancellationToken cancellationToken)
    {
        var incrementalLsn = request.Parent is { } parent ? ParentLsn(parent) : null;
        var scratch = server.Paths.BackupScratch;
        RemoveScratch(scratch);
        Directory.CreateDirectory(scratch, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            var optionFile = Path.Combine(scratch, "backup.cnf");
            SecretFile.Write(optionFile, $"!include {server.Paths.ConfigFile}\n!include {server.Paths.AdminCredentials}\n");
            var backup = new ProcessStartInfo(options.BackupPath)
            {
                ArgumentList =
                {
                    $"--defaults-file={optionFile}",
                    "--backup",
                    "--stream=xbstream",
                    // Absolute paths: mariadb-backup changes into the data directory.
                    $"--socket={server.Paths.Socket}",
                    $"--target-dir={scratch}",
                    $"--extra-lsndir={scratch}",
                    $"--tmpdir={scratch}",
                },
            };
            if (incrementalLsn is not null)
                backup.ArgumentList.Add($"--incremental-lsn={incrementalLsn}");
            await AdvanceCheckpointAsync(request.BackupId, cancellationToken);
            var toolBytes = await BackupTransfers.UploadFromToolAsync(
                request.BackupId, request.Upload, "mariadb-backup", backup, [server.Credentials.Password], cancellationToken);
            return new CreateBackupResult(toolBytes, Metadata(scratch));
        }
        finally
        {
            RemoveScratch(scratch);
        }
    }

    /// <summary>
    /// Fills the new, empty <paramref name="dataDirectory"/> from the backup: the stream is unpacked by mbstream and made
    /// consistent by <c>mariadb-backup --prepare</c>, both as the server's user so it owns every file. Each incremental
    /// after it is unpacked into the scratch directory and applied with <c>--prepare --incremental-dir</c>, one at a time,
    /// so the volume never holds more than the data and one delta. (MariaDB's prepare needs no <c>--apply-log-only</c>:
    /// a prepared full backup takes further incrementals.)
    /// </summary>
    public async Task RestoreAsync(RestoreSource source, string dataDirectory, CancellationToken cancellationToken)
    {
        await ExtractAsync(source.Layers[0], dataDirectory, cancellationToken);
        await PrepareAsync("mariadb-backup --prepare", dataDirectory, null, cancellationToken);
        if (source.Layers.Count == 1)
            return;

        var scratch = server.Paths.BackupScratch;
        try
        {
            foreach (var layer in source.Layers.Skip(1))
            {
                RemoveScratch(scratch);
                Directory.CreateDirectory(scratch, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                server.GiveToServiceUser(scratch);
                await ExtractAsync(layer, scratch, cancellationToken);
                await PrepareAsync($"mariadb-backup --prepare of incremental backup {layer.BackupId}", dataDirectory, scratch, cancellationToken);
            }
        }
        finally
        {
            RemoveScratch(scratch);
        }
    }

    /// <summary>
    /// Refuses, before anything is installed, a chain whose layers do not follow one another: a full backup first, then
    /// incrementals each starting at the LSN the one before it ended at (mariadb-backup would refuse it only after the
    /// downloads).
    /// </summary>
    public static void ValidateChain(RestoreSource? source)
    {
        if (source is not { Layers.Count: > 1 })
            return;
        for (var i = 0; i < source.Layers.Count; i++)
        {
            var layer = source.Layers[i];
            var type = layer.Metadata.GetValueOrDefault("backup_type");
            if (i == 0 ? type != "full-backuped" : type != "incremental")
                throw new HandlerException(GuestErrorCodes.BadRequest, $"Backup {layer.BackupId} is " +
                    $"{(type is null ? "of an unknown kind" : $"'{type}'")}; a chain starts with a full backup followed by incrementals.");
            if (i == 0)
                continue;
            var previous = source.Layers[i - 1];
            var from = layer.Metadata.GetValueOrDefault("from_lsn");
            var to = previous.Metadata.GetValueOrDefault("to_lsn");
            if (from is null || from != to)
                throw new HandlerException(GuestErrorCodes.BadRequest, $"Backup {layer.BackupId} starts at LSN {from ?? "?"}, " +
                    $"not where backup {previous.BackupId} ends ({to ?? "?"}); the chain cannot be restored.");
        }
    }

    private async Task ExtractAsync(RestoreLayer layer, string directory, CancellationToken cancellationToken)
    {
        var extract = server.AsServiceUser(new ProcessStartInfo(options.MbstreamPath) { ArgumentList = { "-x", "-C", directory } });
        await BackupTransfers.DownloadIntoToolAsync(layer, $"mbstream (backup {layer.BackupId})", extract, cancellationToken);
    }

    private async Task PrepareAsync(string toolName, string dataDirectory, string? incrementalDirectory, CancellationToken cancellationToken)
    {
        var prepare = server.AsServiceUser(new ProcessStartInfo(options.BackupPath)
        {
            ArgumentList = { "--no-defaults", "--prepare", $"--target-dir={dataDirectory}" },
        });
        if (incrementalDirectory is not null)
            prepare.ArgumentList.Add($"--incremental-dir={incrementalDirectory}");
        await using var tool = ToolProcess.Start(toolName, prepare, []);
        await tool.WaitForSuccessAsync(cancellationToken);
    }

    /// <summary>An optimisation for the next incremental: when it cannot be had, the backup goes ahead all the same.</summary>
    private async Task AdvanceCheckpointAsync(string backupId, CancellationToken cancellationToken)
    {
        string? why;
        try
        {
            using var connection = server.OpenAdmin(options.QueryTimeout);
            why = await MariaDbCheckpoint.AdvanceAsync(connection, options.BackupCheckpointWait, cancellationToken);
        }
        catch (Exception e) when (e is MariaDbException or InvalidOperationException)
        {
            why = e.Message;
        }

        if (why is not null)
            log($"mariadb: backup {backupId} goes ahead without an up-to-date checkpoint ({why}); an incremental on it will hold more.");
    }

    /// <summary>The parent's <c>to_lsn</c>: where the incremental starts. Only digits reach the tool's arguments.</summary>
    private static string ParentLsn(BackupParent parent) =>
        parent.Metadata.GetValueOrDefault("to_lsn") is { Length: > 0 } lsn && lsn.All(char.IsAsciiDigit)
            ? lsn
            : throw new HandlerException(GuestErrorCodes.BadRequest,
                $"Backup {parent.BackupId} has no valid to_lsn in its metadata, so no incremental backup can build on it; take a full backup.");

    /// <summary>
    /// What an incremental backup on top of this one needs (<c>to_lsn</c>), the versions that made it and its binary log
    /// position, from the files <c>--extra-lsndir</c> wrote.
    /// </summary>
    private static Dictionary<string, string> Metadata(string scratch)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        Read(Path.Combine(scratch, "xtrabackup_checkpoints"), ["backup_type", "from_lsn", "to_lsn", "last_lsn"], metadata);
        Read(Path.Combine(scratch, "xtrabackup_info"), ["server_version", "tool_version"], metadata);
        ReadBinlogInfo(Path.Combine(scratch, "xtrabackup_binlog_info"), metadata);
        return metadata;
    }

    /// <summary>
    /// Where in the binary log the backup is consistent (<c>binlog.000003	385	0-1-42</c>), when the server writes one:
    /// a point-in-time restore replays from there.
    /// </summary>
    internal static void ReadBinlogInfo(string path, Dictionary<string, string> into)
    {
        if (!File.Exists(path))
        {
            // Not every mariadb-backup writes it beside the stream; xtrabackup_info says the same in its binlog_pos line.
            var info = Path.Combine(Path.GetDirectoryName(path)!, "xtrabackup_info");
            if (File.Exists(info) && BinlogPos().Match(File.ReadAllText(info)) is { Success: true } match)
            {
                into["binlog_file"] = match.Groups[1].Value;
                into["binlog_position"] = match.Groups[2].Value;
                if (match.Groups[3].Success)
                    into["binlog_gtid"] = match.Groups[3].Value;
            }

            return;
        }

        var fields = File.ReadAllText(path).Split(['\t', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (fields.Length < 2 || !fields[1].All(char.IsAsciiDigit))
            return;
        into["binlog_file"] = fields[0];
        into["binlog_position"] = fields[1];
        if (fields.Length > 2)
            into["binlog_gtid"] = fields[2];
    }

    private static void Read(string path, string[] keys, Dictionary<string, string> into)
    {
        if (!File.Exists(path))
            return;
        foreach (var line in File.ReadLines(path))
        {
            var equals = line.IndexOf('=');
            if (equals <= 0)
                continue;
            var key = line[..equals].Trim();
            if (keys.Contains(key))
                into[key] = line[(equals + 1)..].Trim();
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^binlog_pos = filename '([^']+)', position '(\d+)'(?:, GTID of the last change '([^']*)')?", System.Text.RegularExpressions.RegexOptions.Multiline)]
    private static partial System.Text.RegularExpressions.Regex BinlogPos();

    private static void RemoveScratch(string scratch)
    {
        if (Directory.Exists(scratch))
            Directory.Delete(scratch, recursive: true);
    }
}
