using System.Diagnostics;
using System.Globalization;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Backups;

namespace Hoard.Guest.Datastores.MariaDb;

/// <summary>
/// The replay half of a MariaDB point-in-time restore. Before the restored server starts, the archived binary log files
/// are fetched into a directory beside the data; once it answers (and the guest's administrator is in place) they are
/// replayed with <c>mariadb-binlog</c> from the full backup's position up to the target, piped into the
/// <c>mariadb</c> client as the administrator over the socket (its credentials come from the guest's option file,
/// never a command line).
/// </summary>
internal sealed class MariaDbPointInTimeRecovery(GuestConfig config, MariaDbOptions options, MariaDbServer server, Action<string> log)
{
    public string Directory => Path.Combine(config.Paths.Data, "binlog-restore");

    /// <summary>
    /// mariadb-binlog's <c>--stop-datetime</c>: it stops at the first event stamped at or after it. Events are stamped in
    /// whole seconds, so stopping at the second after the target keeps every event stamped at the target's second or before.
    /// </summary>
    public static string StopDatetime(DateTimeOffset target)
    {
        var second = new DateTime(target.UtcTicks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, DateTimeKind.Utc);
        return second.AddSeconds(1).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
    }

    /// <summary>The position in the first file to replay from: digits only, from the full backup's metadata.</summary>
    public static string StartPosition(RestoreLayer full) =>
        full.Metadata.GetValueOrDefault(WalArchiving.StartPositionKey) is { Length: > 0 } position && position.All(char.IsAsciiDigit)
            ? position
            : throw new HandlerException(GuestErrorCodes.BadRequest,
                $"Backup {full.BackupId} does not record the binary log position it is consistent at; it cannot start a point-in-time restore.");

    public async Task FetchAsync(PointInTimeRecovery recovery, CancellationToken cancellationToken)
    {
        if (System.IO.Directory.Exists(Directory))
            System.IO.Directory.Delete(Directory, recursive: true);
        System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var watch = Stopwatch.StartNew();
        using var client = WalFileDownloads.CreateClient();
        foreach (var file in recovery.Files)
        {
            if (!MariaDbBinlogArchive.IsBinaryLogName(file.Name))
                throw new HandlerException(GuestErrorCodes.BadRequest, $"'{file.Name}' is not the name of a binary log file.");
            await WalFileDownloads.DownloadAsync(client, file, Path.Combine(Directory, file.Name), cancellationToken);
        }

        log($"mariadb: {recovery.Files.Count} archived binary log files fetched in {watch.Elapsed.TotalSeconds:0.000} s.");
    }

    /// <summary>Replays the fetched files into the running server up to the target, then removes them.</summary>
    public async Task ReplayAsync(PointInTimeRecovery recovery, RestoreLayer full, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var stop = StopDatetime(recovery.TargetTime);
        var reader = new ProcessStartInfo(options.BinlogToolPath)
        {
            ArgumentList = { "--no-defaults", $"--start-position={StartPosition(full)}", $"--stop-datetime={stop}" },
            RedirectStandardOutput = true,
        };
        // mariadb-binlog reads --stop-datetime in the local time zone.
        reader.Environment["TZ"] = "UTC";
        foreach (var file in recovery.Files)
            reader.ArgumentList.Add(Path.Combine(Directory, file.Name));
        var client = new ProcessStartInfo(options.ClientPath)
        {
            ArgumentList = { $"--defaults-file={server.Paths.AdminCredentials}", $"--socket={server.Paths.Socket}", "--batch", "--binary-mode" },
            RedirectStandardInput = true,
        };

        await using (var binlog = ToolProcess.Start("mariadb-binlog", reader, []))
        await using (var mariadb = ToolProcess.Start("mariadb (replaying the binary log)", client, [server.Credentials.Password]))
        {
            try
            {
                await binlog.StandardOutput.CopyToAsync(mariadb.StandardInput, BackupTransfers.BufferSize, cancellationToken);
            }
            catch (IOException)
            {
                // The client stopped reading: its own failure says why.
                await mariadb.WaitForSuccessAsync(cancellationToken);
                throw;
            }

            mariadb.StandardInput.Close();
            await binlog.WaitForSuccessAsync(cancellationToken);
            await mariadb.WaitForSuccessAsync(cancellationToken);
        }

        System.IO.Directory.Delete(Directory, recursive: true);
        log($"mariadb: {recovery.Files.Count} binary log files replayed up to (not including) {stop} UTC in {watch.Elapsed.TotalSeconds:0.000} s.");
    }
}
