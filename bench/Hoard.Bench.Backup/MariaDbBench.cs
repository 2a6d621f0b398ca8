using System.Diagnostics;
using System.Globalization;
using Hoard.Bench.Provisioning;

namespace Hoard.Bench.Backup;

/// <summary>
/// MariaDB: a sysbench-like table filled by <c>INSERT … SELECT</c> doubling; by hand, <c>mariadb-backup --stream</c> with
/// the guest's options and admin credentials on the instance's socket, and a restore with <c>mbstream -x</c>,
/// <c>--prepare</c> and a start.
/// </summary>
internal sealed class MariaDbBench(string workDir, string? osUser) : IByHandBackup
{
    /// <summary>MariaDbConfigTemplate's values for m1.medium (2048 MB), which the bench's instances use.</summary>
    private static readonly string[] MemorySettings =
    [
        "--innodb-buffer-pool-size=1024M", "--innodb-log-file-size=128M", "--innodb-log-buffer-size=16M",
        "--key-buffer-size=16M", "--max-connections=170", "--performance-schema=ON",
    ];

    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(300);

    /// <summary>
    /// Random digits in dash-separated groups of 11, as sysbench fills its <c>c</c> (120) and <c>pad</c> (60) columns:
    /// compressible about as real data is, unlike zeros or random bytes.
    /// </summary>
    private static string Digits(int groups) =>
        "CONCAT_WS('-'" + string.Concat(Enumerable.Repeat(", LPAD(FLOOR(RAND() * 99999999999), 11, '0')", groups)) + ")";

    private static readonly string RowValues = $"FLOOR(RAND() * 1000000), {Digits(10)}, {Digits(5)}";

    public async Task<long> LoadAsync(BenchInstance instance, long targetBytes, CancellationToken cancellationToken)
    {
        await QueryAsync(instance,
            "CREATE TABLE sbtest (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, k INT NOT NULL, c CHAR(120) NOT NULL, " +
            $"pad CHAR(60) NOT NULL, KEY k (k)) ENGINE=InnoDB; INSERT INTO sbtest (k, c, pad) SELECT {RowValues};", cancellationToken);
        var tableDir = Path.Combine(instance.DataDir, BenchInstance.AppUser);
        long rows = 1;
        while (true)
        {
            var bytes = Shell.DirectoryBytes(tableDir, []);
            // Doubling until the next doubling would overshoot, judged by the bytes per row so far; then the rest at once.
            var wanted = rows < 65536 ? rows * 2 : Math.Min(rows * 2, (long)(targetBytes / ((double)bytes / rows)));
            if (wanted <= rows || bytes >= targetBytes)
                return rows;
            await QueryAsync(instance,
                $"INSERT INTO sbtest (k, c, pad) SELECT {RowValues} FROM sbtest LIMIT {(wanted - rows).ToString(CultureInfo.InvariantCulture)}",
                cancellationToken);
            rows = wanted;
            if (rows >= 65536)
                Console.WriteLine($"  {rows:N0} rows, {Shell.DirectoryBytes(tableDir, []) / 1e6:0} MB");
        }
    }

    public async Task<long> CountRowsAsync(BenchInstance instance, CancellationToken cancellationToken) =>
        long.Parse((await QueryAsync(instance, "SELECT COUNT(*) FROM sbtest", cancellationToken)).Trim(), CultureInfo.InvariantCulture);

    /// <summary>
    /// As <c>MariaDbBackup</c> runs it: an option file that includes the instance's <c>my.cnf</c> and the guest's
    /// credentials file (so no password is on a command line), the instance's socket, and scratch directories.
    /// </summary>
    public async Task<TimeSpan> BackupAsync(BenchInstance instance, string output, CancellationToken cancellationToken)
    {
        var dir = await Shell.PrivateDirectoryAsync(Path.Combine(workDir, "mariadb-backup"), osUser, cancellationToken);
        var optionFile = Path.Combine(dir, "backup.cnf");
        await File.WriteAllTextAsync(optionFile,
            $"!include {Path.Combine(instance.Etc, "my.cnf")}\n!include {Path.Combine(instance.Etc, "guest-admin.cnf")}\n", cancellationToken);
        if (osUser is not null)
            await Cli.RunCheckedAsync("chown", [$"{osUser}:{osUser}", optionFile], cancellationToken);
        var scratch = Path.Combine(dir, "scratch");
        return await Shell.RunTimedAsync("mariadb-backup | zstd -1",
            """
            rm -rf "$3"; mkdir -m 700 "$3"
            mariadb-backup --defaults-file="$1" --backup --stream=xbstream --socket="$2" --target-dir="$3" --extra-lsndir="$3" --tmpdir="$3" \
              | zstd -1 -q >"$4"
            [[ "$4" == /dev/null ]] || sync "$4"
            rm -rf "$3"
            """,
            [optionFile, Path.Combine(instance.Run, "mysqld.sock"), scratch, output], osUser, cancellationToken);
    }

    public async Task<TimeSpan> RestoreAsync(string stream, int index, CancellationToken cancellationToken)
    {
        var dir = Path.Combine(workDir, $"mariadb-restore{index}");
        var data = Path.Combine(dir, "data");
        var socket = Path.Combine(dir, "mysqld.sock");
        Directory.CreateDirectory(dir);
        if (osUser is not null)
            await Cli.RunCheckedAsync("chown", [$"{osUser}:{osUser}", dir], cancellationToken);

        var started = Stopwatch.GetTimestamp();
        await Shell.RunTimedAsync("zstd -d | mbstream -x; mariadb-backup --prepare",
            """
            mkdir -m 700 "$1"
            zstd -d -q <"$2" | mbstream -x -C "$1"
            mariadb-backup --no-defaults --prepare --target-dir="$1"
            """,
            [data, stream], osUser, cancellationToken);

        string[] user = osUser is null ? [] : [$"--user={osUser}"];
        using var process = Shell.StartServer("mariadbd",
        [
            "--no-defaults", .. user, $"--datadir={data}", $"--socket={socket}", $"--pid-file={dir}/mysqld.pid", "--skip-networking",
            $"--log-error={dir}/error.log", .. MemorySettings,
        ], $"{dir}/mariadbd.out", user: null);
        TimeSpan elapsed;
        try
        {
            // ping answers 0 once the server accepts connections, whether or not it lets this client in.
            while ((await Cli.RunAsync("mariadb-admin", ["--no-defaults", $"--socket={socket}", "--connect-timeout=2", "ping"], cancellationToken)).ExitCode != 0)
            {
                if (process.HasExited || Stopwatch.GetElapsedTime(started) > StartDeadline)
                    throw new InvalidOperationException($"The restored mariadbd never answered (exited: {process.HasExited}); see {dir}/error.log.");
                await Task.Delay(20, cancellationToken);
            }

            elapsed = Stopwatch.GetElapsedTime(started);
        }
        finally
        {
            await Shell.StopServerAsync(process, LibC.SigTerm);
        }

        // Only now: after a failure the directory stays for its log, and the bench's cleanup removes it.
        Directory.Delete(dir, recursive: true);
        return elapsed;
    }

    /// <summary>As the application user over TCP, the password in MYSQL_PWD.</summary>
    private static async Task<string> QueryAsync(BenchInstance instance, string sql, CancellationToken cancellationToken)
    {
        var result = await Cli.RunAsync("mariadb",
            ["--no-defaults", "-h", instance.Address, "-P", "3306", "-u", BenchInstance.AppUser, "--batch", "--skip-column-names", BenchInstance.AppUser, "-e", sql],
            cancellationToken, new Dictionary<string, string> { ["MYSQL_PWD"] = instance.Password });
        return result.ExitCode == 0 ? result.Output : throw new InvalidOperationException($"mariadb as {BenchInstance.AppUser} failed: {result.Output.Trim()}");
    }
}
