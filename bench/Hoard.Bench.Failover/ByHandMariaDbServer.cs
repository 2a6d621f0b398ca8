using System.Diagnostics;
using System.Globalization;
using Hoard.Bench.Provisioning;

namespace Hoard.Bench.Failover;

/// <summary>
/// MariaDB by hand: the provisioning baseline's <c>mariadb-install-db</c> and <c>mariadbd</c> command lines (its memory
/// settings for m1.tiny), a database <c>bench</c> and a user <c>bench@127.0.0.1</c> with a password.
/// </summary>
internal sealed class ByHandMariaDbServer(string work, string osUser) : IByHandServer
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _socket = Path.Combine(work, "run", "mysqld.sock");
    private readonly int _port = ByHandMariaDb.FreePort();
    private Process? _server;

    public string Recipe => $"mariadbd --no-defaults --user={osUser} --datadir=D/data --port=P --bind-address=127.0.0.1 --skip-name-resolve " +
                            $"{string.Join(' ', ByHandMariaDb.MemorySettings)} (InnoDB defaults: flush at every commit)";

    public async Task<WriteTarget> SetUpAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.Combine(work, "run"));
        Directory.CreateDirectory(Path.Combine(work, "log"));
        await Cli.RunCheckedAsync("chown", ["-R", $"{osUser}:{osUser}", work], cancellationToken);
        await Cli.RunCheckedAsync("mariadb-install-db",
        [
            "--no-defaults", $"--user={osUser}", $"--datadir={work}/data", "--auth-root-authentication-method=normal",
            "--skip-test-db", "--skip-name-resolve", .. ByHandMariaDb.MemorySettings,
        ], cancellationToken);
        Restart();
        var started = Stopwatch.GetTimestamp();
        while ((await Cli.RunAsync("mariadb", ["--no-defaults", "-uroot", $"--socket={_socket}", "-e", "select 1"], cancellationToken)).ExitCode != 0)
        {
            if (Stopwatch.GetElapsedTime(started) > Deadline)
                throw new TimeoutException($"mariadbd by hand did not answer within {Deadline.TotalSeconds:0} s; see {work}/log/error.log.");
            await Task.Delay(20, cancellationToken);
        }

        var password = Passwords.New();
        await ServerProcesses.RunWithInputAsync("mariadb", ["--no-defaults", "-uroot", $"--socket={_socket}"],
            $"CREATE DATABASE bench; CREATE USER 'bench'@'127.0.0.1' IDENTIFIED BY '{password}'; GRANT ALL PRIVILEGES ON bench.* TO 'bench'@'127.0.0.1';\n",
            cancellationToken);
        return new WriteTarget("127.0.0.1", _port, WriteTarget.AppUser, password, "bench");
    }

    public void Restart()
    {
        _server?.Dispose();
        _server = ServerProcesses.Start("/usr/sbin/mariadbd",
        [
            "--no-defaults", $"--user={osUser}", $"--datadir={work}/data", $"--socket={_socket}", $"--pid-file={work}/run/mysqld.pid",
            $"--port={_port.ToString(CultureInfo.InvariantCulture)}", "--bind-address=127.0.0.1", "--skip-name-resolve",
            $"--log-error={work}/log/error.log", .. ByHandMariaDb.MemorySettings,
        ], Path.Combine(work, "log", "stdout.log"), user: null);
    }

    public async Task KillAsync()
    {
        var pids = ServerProcesses.WithDescendants([_server!.Id]);
        ServerProcesses.KillAll(pids);
        await ServerProcesses.WaitGoneAsync(pids);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is null)
            return;
        if (!_server.HasExited)
            await Cli.RunAsync("mariadb-admin", ["--no-defaults", "-uroot", $"--socket={_socket}", "shutdown"], CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _server.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _server.Kill();
        }

        _server.Dispose();
    }
}
