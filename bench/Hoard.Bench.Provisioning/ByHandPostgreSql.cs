using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Hoard.Bench.Provisioning;

/// <summary>
/// The PostgreSQL baseline: what an operator types to get a private PostgreSQL 15 (reference/host-notes.md §2) with
/// password (SCRAM) authentication and a login role for the application, with the memory settings Hoard renders for
/// its smallest flavor (m1.tiny, 512 MB) in a minimal postgresql.conf.
/// </summary>
internal sealed class ByHandPostgreSql(string workRoot, string? osUser) : IByHandBaseline
{
    public const string BinDirectory = "/usr/lib/postgresql/15/bin";
    private const int SigInt = 2;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>PostgreSqlConfigTemplate's values for 512 MB.</summary>
    public static readonly string[] MemorySettings =
    [
        "max_connections = 51", "shared_buffers = 76MB", "effective_cache_size = 384MB", "work_mem = 4MB",
        "maintenance_work_mem = 32MB", "wal_buffers = 2MB", "max_wal_size = 256MB", "min_wal_size = 64MB",
    ];

    /// <summary>
    /// initdb (SCRAM for every connection, the superuser's password from a file), a minimal postgresql.conf, start
    /// postgres, create a login role over the socket, first <c>SELECT 1</c> as that role over TCP; then a fast
    /// shutdown and the directory deleted.
    /// </summary>
    public async Task<BaselineRun> RunOnceAsync(int index, bool idleMemory, CancellationToken cancellationToken)
    {
        var dir = Path.Combine(workRoot, $"pg-base{index}");
        var data = Path.Combine(dir, "data");
        var socketDirectory = Path.Combine(dir, "run");
        var passwordFile = Path.Combine(dir, "superuser.pw");
        var superuserPassword = Passwords.New();
        var userPassword = Passwords.New();
        var port = ByHandMariaDb.FreePort();

        var started = Stopwatch.GetTimestamp();
        Directory.CreateDirectory(socketDirectory);
        Directory.CreateDirectory(Path.Combine(dir, "log"));
        await File.WriteAllTextAsync(passwordFile, superuserPassword + "\n", cancellationToken);
        File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        if (osUser is not null)
            await Cli.RunCheckedAsync("chown", ["-R", $"{osUser}:{osUser}", dir], cancellationToken);

        await Cli.RunCheckedAsync($"{BinDirectory}/initdb",
        [
            "-D", data, "-U", "postgres", "--auth=scram-sha-256", $"--pwfile={passwordFile}", "-E", "UTF8", "--locale=C.UTF-8",
            "--no-instructions",
        ], cancellationToken, osUser);
        File.Delete(passwordFile);
        await File.WriteAllLinesAsync(Path.Combine(data, "postgresql.conf"),
        [
            "listen_addresses = '127.0.0.1'", $"port = {port.ToString(CultureInfo.InvariantCulture)}",
            $"unix_socket_directories = '{socketDirectory}'", "password_encryption = 'scram-sha-256'", .. MemorySettings,
        ], cancellationToken);
        var initialized = Stopwatch.GetElapsedTime(started);

        var start = new ProcessStartInfo($"{BinDirectory}/postgres")
        {
            UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
            WorkingDirectory = "/", ArgumentList = { "-D", data },
        };
        if (osUser is not null)
            start.UserName = osUser;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("postgres did not start.");
        var log = new ServerLog(Path.Combine(dir, "log", "postgresql.log"));
        process.OutputDataReceived += (_, e) => log.Append(e.Data);
        process.ErrorDataReceived += (_, e) => log.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // The operator's `psql -h <socket dir> -U postgres -c "CREATE ROLE ..."`, retried until the server accepts it.
            while (true)
            {
                var error = await TryCreateRoleAsync(socketDirectory, port, superuserPassword, userPassword, cancellationToken);
                if (error is null)
                    break;
                if (process.HasExited || Stopwatch.GetElapsedTime(started) > Deadline)
                    throw new InvalidOperationException($"postgres never accepted CREATE ROLE (exited: {process.HasExited}): {error}\n{log.Tail()}");
                await Task.Delay(PollInterval, cancellationToken);
            }

            while (await PostgreSqlProbe.TrySelectOneAsync("127.0.0.1", port, "bench", userPassword, "postgres", cancellationToken) is { } error)
            {
                if (process.HasExited || Stopwatch.GetElapsedTime(started) > Deadline)
                    throw new InvalidOperationException($"bench could not query over TCP (exited: {process.HasExited}): {error}\n{log.Tail()}");
                await Task.Delay(PollInterval, cancellationToken);
            }

            var total = Stopwatch.GetElapsedTime(started);
            MemoryUse? memory = null;
            if (idleMemory)
            {
                await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
                memory = ProcFs.MemoryWithChildren(process.Id);
            }

            await ShutDownAsync(process);
            Directory.Delete(dir, recursive: true);
            return new BaselineRun(initialized, total - initialized, total, memory);
        }
        catch
        {
            // The directory stays for its log; the bench's cleanup removes it.
            await ShutDownAsync(process);
            throw;
        }
        finally
        {
            log.Dispose();
        }
    }

    /// <summary>Null once the role exists; else why not, as long as it looks like the server is still coming up.</summary>
    private static async Task<string?> TryCreateRoleAsync(string socketDirectory, int port, string superuserPassword, string userPassword,
        CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await PostgreSqlProbe.OpenAsync(socketDirectory, port, "postgres", superuserPassword, "postgres", superuser: true, cancellationToken);
            await using var command = new NpgsqlCommand($"CREATE ROLE bench LOGIN PASSWORD '{userPassword}'", connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
            return null;
        }
        catch (PostgresException e) when (e.SqlState.StartsWith("57P", StringComparison.Ordinal))
        {
            return e.MessageText; // the database system is starting up
        }
        catch (NpgsqlException e) when (e is not PostgresException)
        {
            return e.Message; // no socket yet
        }
    }

    /// <summary>Fast shutdown (SIGINT), as <c>pg_ctl -m fast stop</c> sends; killed after 30 s.</summary>
    private static async Task ShutDownAsync(Process process)
    {
        if (!process.HasExited)
            LibC.Signal(process.Id, SigInt);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }
}
