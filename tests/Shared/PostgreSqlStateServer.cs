using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Hoard.Tests.Shared;

/// <summary>
/// A private PostgreSQL 15 from Debian's package for the state DB tests: initdb into a temp dir, listening on 127.0.0.1
/// at a free port and on a Unix socket in that dir, password (SCRAM) logins over TCP as a real deployment would use.
/// Started once per test collection; each test gets a fresh database of its own (<see cref="CreateDatabaseAsync"/>).
/// PostgreSQL refuses to run as root, so under root it runs as the OS user <c>dbaas</c> (host-notes §2).
/// Linked into the test projects that need it; skipped, saying why, where it cannot run.
/// </summary>
public sealed class PostgreSqlStateServer : IAsyncLifetime
{
    public const string User = "postgres";
    private const string Bin = "/usr/lib/postgresql/15/bin";
    private const string OsUser = "dbaas";

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("hoard-pgstate-");
    private readonly List<string> _log = [];
    private Process? _postgres;

    public static string? SkipReason { get; } =
        Environment.GetEnvironmentVariable("HOARD_TEST_NO_POSTGRESQL") == "1" ? "HOARD_TEST_NO_POSTGRESQL=1"
        : !File.Exists(Path.Combine(Bin, "postgres")) ? $"PostgreSQL 15 is not installed ({Bin}); scripts/install-deps.sh installs it"
        : Environment.UserName == "root" && !File.ReadLines("/etc/passwd").Any(l => l.StartsWith(OsUser + ":", StringComparison.Ordinal))
            ? $"running as root, and there is no OS user {OsUser} to run PostgreSQL as (it refuses root)"
            : null;

    public int Port { get; } = FreePort();

    /// <summary>The superuser's password (TCP logins need it; it is never on a command line).</summary>
    public string Password { get; } = Guid.NewGuid().ToString("N");

    public string DataDir => Path.Combine(_dir.FullName, "data");

    public async Task InitializeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }

        var passwordFile = Path.Combine(_dir.FullName, "pwfile");
        await File.WriteAllTextAsync(passwordFile, Password + "\n");
        File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Directory.CreateDirectory(Path.Combine(_dir.FullName, "run"));
        if (Environment.UserName == "root")
        {
            await RunAsync("chown", ["-R", $"{OsUser}:", _dir.FullName]);
        }

        await RunAsync(Path.Combine(Bin, "initdb"), ["-D", DataDir, "-U", User, "--auth-local=trust", "--auth-host=scram-sha-256",
            "--pwfile", passwordFile, "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"], asPostgres: true);
        File.Delete(passwordFile);
        _postgres = Start(Path.Combine(Bin, "postgres"), ["-D", DataDir, "-p", Port.ToString(), "-k", Path.Combine(_dir.FullName, "run"),
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_connections=200"]);

        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString("postgres", pooling: false));
                await connection.OpenAsync();
                return;
            }
            catch (Exception) when (watch.Elapsed < TimeSpan.FromSeconds(60) && !_postgres.HasExited)
            {
                await Task.Delay(50);
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"PostgreSQL did not answer on port {Port} within 60 s: {e.Message}\n" +
                                                    string.Join("\n", _log.TakeLast(20)), e);
            }
        }
    }

    /// <summary>The connection string of <paramref name="database"/>: TCP on loopback, with the password.</summary>
    public string ConnectionString(string database, bool pooling = true) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = Port, Username = User, Password = Password, Database = database, Pooling = pooling, Timeout = 15,
    }.ConnectionString;

    /// <summary>A new database, empty or a copy of <paramref name="template"/> (which nobody may be connected to); returns its name.</summary>
    public async Task<string> CreateDatabaseAsync(string? template = null)
    {
        var name = "hoard_" + Guid.NewGuid().ToString("N")[..16];
        await AdminAsync($"CREATE DATABASE {name}" + (template is null ? "" : $" TEMPLATE {template}"));
        return name;
    }

    /// <summary>Drops the database, ending whatever connections still use it (pooled ones included).</summary>
    public async Task DropDatabaseAsync(string name)
    {
        if (SkipReason is not null)
        {
            return;
        }

        NpgsqlConnection.ClearPool(new NpgsqlConnection(ConnectionString(name)));
        await AdminAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    }

    public async Task DisposeAsync()
    {
        if (_postgres is { HasExited: false })
        {
            // A fast shutdown; the kill is for a server that does not stop within 10 s (the process is runuser's under root).
            try
            {
                await RunAsync(Path.Combine(Bin, "pg_ctl"), ["-D", DataDir, "stop", "-m", "fast", "-w", "-t", "10"], asPostgres: true);
            }
            catch (InvalidOperationException)
            {
            }

            if (!_postgres.WaitForExit(10_000))
            {
                _postgres.Kill(entireProcessTree: true);
                await _postgres.WaitForExitAsync();
            }
        }

        _dir.Delete(recursive: true);
    }

    private async Task AdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres", pooling: false));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private Process Start(string file, string[] arguments)
    {
        var info = Info(file, arguments, asPostgres: true);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => Record(e.Data);
        process.ErrorDataReceived += (_, e) => Record(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.Add(line);
        }
    }

    private static async Task RunAsync(string file, string[] arguments, bool asPostgres = false)
    {
        using var process = Process.Start(Info(file, arguments, asPostgres))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(deadline.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} exited with {process.ExitCode}: {await stdout}{await stderr}");
        }
    }

    /// <summary>Runs <paramref name="file"/> as <c>dbaas</c> when this process is root.</summary>
    private static ProcessStartInfo Info(string file, string[] arguments, bool asPostgres)
    {
        var asOtherUser = asPostgres && Environment.UserName == "root";
        var info = new ProcessStartInfo(asOtherUser ? "/usr/sbin/runuser" : file)
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        if (asOtherUser)
        {
            foreach (var argument in new[] { "-u", OsUser, "--", file })
            {
                info.ArgumentList.Add(argument);
            }
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["LC_ALL"] = "C.UTF-8";
        return info;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
