using System.Diagnostics;
using System.Globalization;
using Hoard.Bench.Provisioning;
using Npgsql;

namespace Hoard.Bench.Failover;

/// <summary>
/// PostgreSQL by hand: the provisioning baseline's initdb (SCRAM) and minimal postgresql.conf (its memory settings for
/// m1.tiny), then a login role <c>bench</c> owning a database <c>bench</c>.
/// </summary>
internal sealed class ByHandPostgreSqlServer(string work, string osUser) : IByHandServer
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _data = Path.Combine(work, "data");
    private readonly string _socketDirectory = Path.Combine(work, "run");
    private readonly int _port = ByHandMariaDb.FreePort();
    private Process? _server;

    public string Recipe => $"postgres -D D/data as {osUser}: listen 127.0.0.1, scram-sha-256, {string.Join(", ", ByHandPostgreSql.MemorySettings)} " +
                            "(defaults otherwise: fsync, synchronous_commit on)";

    public async Task<WriteTarget> SetUpAsync(CancellationToken cancellationToken)
    {
        var superuserPassword = Passwords.New();
        var passwordFile = Path.Combine(work, "superuser.pw");
        Directory.CreateDirectory(_socketDirectory);
        Directory.CreateDirectory(Path.Combine(work, "log"));
        await File.WriteAllTextAsync(passwordFile, superuserPassword + "\n", cancellationToken);
        File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await Cli.RunCheckedAsync("chown", ["-R", $"{osUser}:{osUser}", work], cancellationToken);
        await Cli.RunCheckedAsync($"{ByHandPostgreSql.BinDirectory}/initdb",
        [
            "-D", _data, "-U", "postgres", "--auth=scram-sha-256", $"--pwfile={passwordFile}", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions",
        ], cancellationToken, osUser);
        File.Delete(passwordFile);
        await File.WriteAllLinesAsync(Path.Combine(_data, "postgresql.conf"),
        [
            "listen_addresses = '127.0.0.1'", $"port = {_port.ToString(CultureInfo.InvariantCulture)}",
            $"unix_socket_directories = '{_socketDirectory}'", "password_encryption = 'scram-sha-256'", .. ByHandPostgreSql.MemorySettings,
        ], cancellationToken);
        Restart();

        var password = Passwords.New();
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                await using var connection = await PostgreSqlProbe.OpenAsync(_socketDirectory, _port, "postgres", superuserPassword, "postgres",
                    superuser: true, cancellationToken);
                await using (var role = new NpgsqlCommand($"CREATE ROLE bench LOGIN PASSWORD '{password}'", connection))
                    await role.ExecuteNonQueryAsync(cancellationToken);
                await using (var database = new NpgsqlCommand("CREATE DATABASE bench OWNER bench", connection))
                    await database.ExecuteNonQueryAsync(cancellationToken);
                break;
            }
            catch (NpgsqlException e) when (e is not PostgresException || ((PostgresException)e).SqlState.StartsWith("57P", StringComparison.Ordinal))
            {
                if (Stopwatch.GetElapsedTime(started) > Deadline)
                    throw new TimeoutException($"postgres by hand did not take the role within {Deadline.TotalSeconds:0} s ({e.Message}); see {work}/log.");
                await Task.Delay(20, cancellationToken);
            }
        }

        return new WriteTarget("127.0.0.1", _port, WriteTarget.AppUser, password, "bench");
    }

    public void Restart()
    {
        _server?.Dispose();
        _server = ServerProcesses.Start($"{ByHandPostgreSql.BinDirectory}/postgres", ["-D", _data], Path.Combine(work, "log", "postgresql.log"), osUser);
    }

    /// <summary>The postmaster and every backend and auxiliary process, as a crash of the host would take them.</summary>
    public async Task KillAsync()
    {
        var pids = ServerProcesses.WithDescendants([_server!.Id]);
        ServerProcesses.KillAll(pids);
        await ServerProcesses.WaitGoneAsync(pids);
    }

    /// <summary>Fast shutdown (SIGINT), as <c>pg_ctl -m fast stop</c> sends.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_server is null)
            return;
        if (!_server.HasExited)
            LibC.Signal(_server.Id, 2);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _server.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            ServerProcesses.KillAll(ServerProcesses.WithDescendants([_server.Id]));
        }

        _server.Dispose();
    }
}
