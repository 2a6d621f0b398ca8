using System.Diagnostics;
using System.Globalization;
using Hoard.Bench.Provisioning;

namespace Hoard.Bench.Failover;

/// <summary>
/// Redis by hand: the provisioning baseline's redis.conf (an ACL user, the AOF on with <c>appendfsync everysec</c>,
/// m1.tiny's maxmemory), so a crash may lose up to about a second of acknowledged writes, as it would for Hoard's
/// single instance.
/// </summary>
internal sealed class ByHandRedisServer(string work, string osUser) : IByHandServer
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _config = Path.Combine(work, "redis.conf");
    private readonly int _port = ByHandMariaDb.FreePort();
    private Process? _server;

    public string Recipe => $"redis-server redis.conf as {osUser}: bind 127.0.0.1, maxmemory 384mb noeviction, appendonly yes, appendfsync everysec, ACL user bench";

    public async Task<WriteTarget> SetUpAsync(CancellationToken cancellationToken)
    {
        var password = Passwords.New();
        Directory.CreateDirectory(work);
        await File.WriteAllLinesAsync(_config,
        [
            "bind 127.0.0.1", $"port {_port.ToString(CultureInfo.InvariantCulture)}", "daemonize no", $"dir {work}", $"logfile {work}/redis.log",
            // The config path in the process title lets the bench's cleanup find a server a failure left running.
            "proc-title-template \"{title} {listen-addr} {config-file}\"",
            "maxmemory 384mb", "maxmemory-policy noeviction", "appendonly yes", "appendfsync everysec",
            "user default off", $"user bench on >{password} ~* &* +@all",
        ], cancellationToken);
        File.SetUnixFileMode(_config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await Cli.RunCheckedAsync("chown", ["-R", $"{osUser}:{osUser}", work], cancellationToken);
        Restart();
        var started = Stopwatch.GetTimestamp();
        while (await RespProbe.TryAuthSetGetAsync("127.0.0.1", _port, WriteTarget.AppUser, password, cancellationToken) is { } error)
        {
            if (Stopwatch.GetElapsedTime(started) > Deadline)
                throw new TimeoutException($"redis-server by hand did not answer within {Deadline.TotalSeconds:0} s ({error}); see {work}/redis.log.");
            await Task.Delay(20, cancellationToken);
        }

        return new WriteTarget("127.0.0.1", _port, WriteTarget.AppUser, password, "");
    }

    public void Restart()
    {
        _server?.Dispose();
        _server = ServerProcesses.Start("/usr/bin/redis-server", [_config], Path.Combine(work, "stdout.log"), osUser);
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
            LibC.Signal(_server.Id, LibC.SigTerm);
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
