using System.Diagnostics;
using Hoard.Contracts.Guest;
using Hoard.Guest.Backups;

namespace Hoard.Guest.Datastores.MariaDb;

/// <summary>
/// Physical backups with <c>mariadb-backup</c> (<see cref="BackupStrategies.MariaDbBackup"/>): a hot copy of the data
/// directory streamed as xbstream while the server keeps running; restored with <c>mbstream -x</c> and
/// <c>mariadb-backup --prepare</c> into a new data directory.
/// </summary>
internal sealed class MariaDbBackup(MariaDbOptions options, MariaDbServer server)
{
    /// <summary>
    /// Streams a full backup to hoard-server. mariadb-backup reads the server's own <c>my.cnf</c> and the guest's
    /// credentials file through a small option file, so the password is never on its command line; its scratch
    /// files (the LSN checkpoint, a temporary copy of the redo log) stay on the volume and are removed after.
    /// </summary>
    public async Task<CreateBackupResult> CreateAsync(CreateBackupRequest request, CancellationToken cancellationToken)
    {
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
    /// consistent by <c>mariadb-backup --prepare</c>, both as the server's user so it owns every file.
    /// </summary>
    public async Task RestoreAsync(RestoreSource source, string dataDirectory, CancellationToken cancellationToken)
    {
        var extract = server.AsServiceUser(new ProcessStartInfo(options.MbstreamPath) { ArgumentList = { "-x", "-C", dataDirectory } });
        await BackupTransfers.DownloadIntoToolAsync(source.Layers[0], "mbstream", extract, cancellationToken);

        var prepare = server.AsServiceUser(new ProcessStartInfo(options.BackupPath)
        {
            ArgumentList = { "--no-defaults", "--prepare", $"--target-dir={dataDirectory}" },
        });
        await using var tool = ToolProcess.Start("mariadb-backup --prepare", prepare, []);
        await tool.WaitForSuccessAsync(cancellationToken);
    }

    /// <summary>
    /// What an incremental backup on top of this one needs (<c>to_lsn</c>), and the versions that made it, from the
    /// files <c>--extra-lsndir</c> wrote.
    /// </summary>
    private static Dictionary<string, string> Metadata(string scratch)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        Read(Path.Combine(scratch, "xtrabackup_checkpoints"), ["backup_type", "from_lsn", "to_lsn", "last_lsn"], metadata);
        Read(Path.Combine(scratch, "xtrabackup_info"), ["server_version", "tool_version"], metadata);
        return metadata;
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

    private static void RemoveScratch(string scratch)
    {
        if (Directory.Exists(scratch))
            Directory.Delete(scratch, recursive: true);
    }
}
