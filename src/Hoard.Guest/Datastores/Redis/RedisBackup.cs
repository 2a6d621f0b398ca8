using System.Diagnostics;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Backups;

namespace Hoard.Guest.Datastores.Redis;

/// <summary>
/// Backups of the RDB snapshot (<see cref="BackupStrategies.RedisRdb"/>). A backup has the server write a fresh
/// snapshot with <c>BGSAVE</c> (in a forked child: the server keeps answering, so neither clients nor the guest's probe
/// see it stall as they would with <c>SAVE</c>), then streams that file. A restore puts the file in place before the
/// server's first start. ACL users live in the guest's own ACL file, not in the snapshot: the restored instance has
/// the users its own prepare asked for.
/// </summary>
internal sealed class RedisBackup(RedisOptions options, RedisServer server)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    public async Task<CreateBackupResult> CreateAsync(CreateBackupRequest request, CancellationToken cancellationToken)
    {
        string version;
        try
        {
            version = await Task.Run(() => SaveSnapshot(cancellationToken), cancellationToken);
        }
        catch (RedisException e)
        {
            throw new HandlerException(e.IsConnectionFailure ? GuestErrorCodes.NotReady : GuestErrorCodes.Internal,
                $"Redis could not write a snapshot to back up: {e.Message}");
        }

        // Opened right away: a later save renames a new file over this name, and the one open here stays whole.
        await using var snapshot = new FileStream(server.Paths.DumpFile, new FileStreamOptions
        {
            Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete, BufferSize = 0,
        });
        var rdbBytes = snapshot.Length;
        var toolBytes = await BackupTransfers.UploadAsync(request.BackupId, request.Upload,
            (output, token) => snapshot.CopyToAsync(output, BackupTransfers.BufferSize, token), cancellationToken);
        return new CreateBackupResult(toolBytes, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["redis_version"] = version,
            ["rdb_bytes"] = rdbBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    /// <summary>Writes the downloaded snapshot as the data directory's <c>dump.rdb</c>, owned by the service user.</summary>
    public async Task RestoreAsync(RestoreSource source, CancellationToken cancellationToken)
    {
        var partial = server.Paths.DumpFile + ".restoring";
        File.Delete(partial);
        try
        {
            await BackupTransfers.DownloadAsync(source.Layers[0], async (data, token) =>
            {
                var options = new FileStreamOptions
                {
                    Mode = FileMode.CreateNew, Access = FileAccess.Write, BufferSize = 0,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                };
                await using var file = new FileStream(partial, options);
                await data.CopyToAsync(file, BackupTransfers.BufferSize, token);
            }, cancellationToken);
        }
        catch
        {
            File.Delete(partial);
            throw;
        }

        server.GiveToServiceUser(partial);
        File.Move(partial, server.Paths.DumpFile, overwrite: true);
    }

    /// <summary>
    /// Redis loads the AOF, not the RDB, when append-only persistence is on: a restored instance starts once without
    /// it, so it loads the snapshot, and then turns it on, which writes the AOF from the loaded data. Returns once the
    /// AOF is complete, so every later start finds the restored data in it.
    /// </summary>
    public void WriteAppendOnlyFile(RedisConnection connection, CancellationToken cancellationToken)
    {
        connection.Execute("CONFIG", "SET", "appendonly", "yes");
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var info = Persistence(connection);
            if (info.GetValueOrDefault("aof_rewrite_in_progress") == "0" && info.GetValueOrDefault("aof_rewrite_scheduled") == "0")
            {
                if (info.GetValueOrDefault("aof_last_bgrewrite_status") != "ok")
                    throw new HandlerException(GuestErrorCodes.Internal,
                        $"Redis could not write its append-only file from the restored snapshot; see {server.Paths.ServerLog}.");
                return;
            }

            Wait(deadline, "write its append-only file from the restored snapshot", cancellationToken);
        }
    }

    /// <summary>
    /// A <c>BGSAVE</c> that starts after this call and ends well; waits for one already running to end first. Returns
    /// the server's version.
    /// </summary>
    private string SaveSnapshot(CancellationToken cancellationToken)
    {
        using var connection = server.OpenAdmin(options.QueryTimeout);
        var deadline = Stopwatch.StartNew();
        var before = Persistence(connection);
        var saves = long.Parse(before["rdb_saves"], System.Globalization.CultureInfo.InvariantCulture);
        while (true)
        {
            try
            {
                // SCHEDULE: while an AOF rewrite runs, the save starts as soon as it ends.
                connection.Execute("BGSAVE", "SCHEDULE");
                break;
            }
            catch (RedisException e) when (e.Message.Contains("already in progress", StringComparison.OrdinalIgnoreCase))
            {
                Wait(deadline, "start a snapshot (one already running did not end)", cancellationToken);
            }
        }

        while (true)
        {
            var info = Persistence(connection);
            // rdb_saves counts each save as it starts: a higher count with none running is a save that began after ours was asked for.
            if (long.Parse(info["rdb_saves"], System.Globalization.CultureInfo.InvariantCulture) > saves && info["rdb_bgsave_in_progress"] == "0")
            {
                if (info.GetValueOrDefault("rdb_last_bgsave_status") != "ok")
                    throw new HandlerException(GuestErrorCodes.Internal, $"Redis could not write its snapshot (BGSAVE failed): {LastLogErrors()}");
                return Server(connection).GetValueOrDefault("redis_version") ?? "";
            }

            Wait(deadline, "write its snapshot", cancellationToken);
        }
    }

    private void Wait(Stopwatch deadline, string what, CancellationToken cancellationToken)
    {
        if (deadline.Elapsed > options.SnapshotTimeout)
            throw new HandlerException(GuestErrorCodes.Internal, $"Redis did not {what} within {options.SnapshotTimeout.TotalSeconds:0} s.");
        cancellationToken.WaitHandle.WaitOne(PollInterval);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private static Dictionary<string, string> Persistence(RedisConnection connection) => RedisInfo.Read(connection, "persistence");

    private static Dictionary<string, string> Server(RedisConnection connection) => RedisInfo.Read(connection, "server");

    /// <summary>The server log's last lines about a failed save ("No space left on device", say).</summary>
    private string LastLogErrors()
    {
        try
        {
            var lines = File.ReadLines(server.Paths.ServerLog).TakeLast(200)
                .Where(line => line.Contains("error", StringComparison.OrdinalIgnoreCase) || line.Contains("Failed", StringComparison.Ordinal))
                .TakeLast(3).ToList();
            return lines.Count > 0 ? string.Join(" | ", lines) : $"see {server.Paths.ServerLog}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"see {server.Paths.ServerLog}";
        }
    }
}
