using System.Diagnostics;
using System.Globalization;
using Hoard.Bench.Provisioning;

namespace Hoard.Bench.Backup;

/// <summary>
/// PostgreSQL: the same sysbench-like table filled with <c>generate_series</c> in chunks; by hand, <c>pg_basebackup</c>
/// with the guest's options as its admin role over the instance's socket, and a restore by unpacking the tar and
/// starting the server (which recovers from the fetched WAL).
/// </summary>
internal sealed class PostgreSqlBench(string workDir, string? osUser) : IByHandBackup
{
    private const string BinDirectory = "/usr/lib/postgresql/15/bin";
    private const int ChunkRows = 500_000;
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(300);

    /// <summary>Random digits in dash-separated groups of 11, as in the MariaDB table (and sysbench).</summary>
    private static string Digits(int groups) =>
        string.Join(" || '-' || ", Enumerable.Repeat("lpad((random() * 99999999999)::bigint::text, 11, '0')", groups));

    public async Task<long> LoadAsync(BenchInstance instance, long targetBytes, CancellationToken cancellationToken)
    {
        await QueryAsync(instance,
            "CREATE TABLE sbtest (id bigint PRIMARY KEY, k int NOT NULL, c char(120) NOT NULL, pad char(60) NOT NULL); " +
            "CREATE INDEX sbtest_k ON sbtest (k);", cancellationToken);
        long rows = 0;
        var bytes = await TableBytesAsync(instance, cancellationToken);
        // Within 1 %: near the end a chunk of a few rows may not move the size, which grows by whole pages.
        while (bytes < targetBytes * 0.99)
        {
            // The last chunk only as large as the bytes per row so far say is missing.
            var chunk = rows == 0 ? Math.Min(ChunkRows, 10_000) : Math.Clamp((long)((targetBytes - bytes) / ((double)bytes / rows)) + 1, 1, ChunkRows);
            await QueryAsync(instance,
                $"INSERT INTO sbtest SELECT g, (random() * 1000000)::int, {Digits(10)}, {Digits(5)} " +
                $"FROM generate_series({(rows + 1).ToString(CultureInfo.InvariantCulture)}, {(rows + chunk).ToString(CultureInfo.InvariantCulture)}) g",
                cancellationToken);
            rows += chunk;
            bytes = await TableBytesAsync(instance, cancellationToken);
            Console.WriteLine($"  {rows:N0} rows, {bytes / 1e6:0} MB");
        }

        // As a loaded database would be before its backup: hint bits set and the visibility map written.
        await QueryAsync(instance, "VACUUM ANALYZE sbtest", cancellationToken);
        return rows;
    }

    public async Task<long> CountRowsAsync(BenchInstance instance, CancellationToken cancellationToken) =>
        long.Parse((await QueryAsync(instance, "SELECT count(*) FROM sbtest", cancellationToken)).Trim(), CultureInfo.InvariantCulture);

    /// <summary>
    /// As <c>PostgreSqlBackup</c> runs it: over the unix socket as <c>os_admin</c> (password from a passfile, never on the
    /// command line), one tar to stdout with the WAL fetched at the end, a fast checkpoint.
    /// </summary>
    public async Task<TimeSpan> BackupAsync(BenchInstance instance, string output, CancellationToken cancellationToken)
    {
        var dir = await Shell.PrivateDirectoryAsync(Path.Combine(workDir, "pg-backup"), osUser, cancellationToken);
        var passFile = Path.Combine(dir, "backup.pgpass");
        var password = File.ReadLines(Path.Combine(instance.Etc, "guest-admin.pg"))
            .Select(line => line.Split('=', 2))
            .Where(pair => pair.Length == 2 && pair[0].Trim() == "password")
            .Select(pair => pair[1].Trim())
            .FirstOrDefault() ?? throw new InvalidDataException($"{instance.Etc}/guest-admin.pg holds no password.");
        await File.WriteAllTextAsync(passFile, $"*:*:*:os_admin:{password.Replace(@"\", @"\\").Replace(":", @"\:")}\n", cancellationToken);
        File.SetUnixFileMode(passFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        if (osUser is not null)
            await Cli.RunCheckedAsync("chown", [$"{osUser}:{osUser}", passFile], cancellationToken);
        try
        {
            return await Shell.RunTimedAsync("pg_basebackup | zstd -1",
                """
                pg_basebackup --host="$1" --port=5432 --username=os_admin --no-password --pgdata=- --format=tar --wal-method=fetch \
                  --checkpoint=fast --label=bench | zstd -1 -q >"$2"
                [[ "$2" == /dev/null ]] || sync "$2"
                """,
                [instance.Run, output], osUser, cancellationToken,
                new Dictionary<string, string> { ["PGPASSFILE"] = passFile, ["PGAPPNAME"] = "hoard-bench" });
        }
        finally
        {
            File.Delete(passFile);
        }
    }

    public async Task<TimeSpan> RestoreAsync(string stream, int index, CancellationToken cancellationToken)
    {
        var dir = Path.Combine(workDir, $"pg-restore{index}");
        var data = Path.Combine(dir, "data");
        var port = ByHandMariaDb.FreePort().ToString(CultureInfo.InvariantCulture);
        Directory.CreateDirectory(dir);
        if (osUser is not null)
            await Cli.RunCheckedAsync("chown", [$"{osUser}:{osUser}", dir], cancellationToken);

        var started = Stopwatch.GetTimestamp();
        await Shell.RunTimedAsync("zstd -d | tar -x",
            """
            mkdir -m 700 "$1"
            zstd -d -q <"$2" | tar -x -C "$1"
            """,
            [data, stream], osUser, cancellationToken);

        // The restored postgresql.conf is the instance's; only where it listens changes, as the source still runs.
        using var process = Shell.StartServer($"{BinDirectory}/postgres",
            ["-D", data, "-c", "listen_addresses=", "-c", $"port={port}", "-c", $"unix_socket_directories={dir}"], $"{dir}/postgres.log", osUser);
        TimeSpan elapsed;
        try
        {
            while ((await Cli.RunAsync($"{BinDirectory}/pg_isready", ["-q", "-h", dir, "-p", port], cancellationToken)).ExitCode != 0)
            {
                if (process.HasExited || Stopwatch.GetElapsedTime(started) > StartDeadline)
                    throw new InvalidOperationException($"The restored postgres never answered (exited: {process.HasExited}); see {dir}/postgres.log.");
                await Task.Delay(20, cancellationToken);
            }

            elapsed = Stopwatch.GetElapsedTime(started);
        }
        finally
        {
            // SIGINT: fast shutdown.
            await Shell.StopServerAsync(process, 2);
        }

        // Only now: after a failure the directory stays for its log, and the bench's cleanup removes it.
        Directory.Delete(dir, recursive: true);
        return elapsed;
    }

    /// <summary>The table with its indexes.</summary>
    private static async Task<long> TableBytesAsync(BenchInstance instance, CancellationToken cancellationToken) =>
        long.Parse((await QueryAsync(instance, "SELECT pg_total_relation_size('sbtest')", cancellationToken)).Trim(), CultureInfo.InvariantCulture);

    /// <summary>psql as the application user over TCP, the password in PGPASSWORD.</summary>
    private static async Task<string> QueryAsync(BenchInstance instance, string sql, CancellationToken cancellationToken)
    {
        var result = await Cli.RunAsync("psql",
            ["-h", instance.Address, "-U", BenchInstance.AppUser, "-d", BenchInstance.AppUser, "-v", "ON_ERROR_STOP=1", "-Atqc", sql],
            cancellationToken, new Dictionary<string, string> { ["PGPASSWORD"] = instance.Password, ["PGCONNECT_TIMEOUT"] = "10" });
        return result.ExitCode == 0 ? result.Output : throw new InvalidOperationException($"psql as {BenchInstance.AppUser} failed: {result.Output.Trim()}");
    }
}
