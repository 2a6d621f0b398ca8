using System.Diagnostics;
using System.Globalization;

namespace Hoard.Bench.Provisioning;

/// <summary>
/// The Redis baseline: what an operator types to get a private Redis 7 (reference/host-notes.md §2) with an ACL user
/// for the application and the AOF on, as Hoard renders it (appendonly yes, everysec), with Hoard's maxmemory for
/// its smallest flavor (m1.tiny, 512 MB: 384 MB, noeviction).
/// </summary>
internal sealed class ByHandRedis(string workRoot, string? osUser) : IByHandBaseline
{
    private const string ServerPath = "/usr/bin/redis-server";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Write redis.conf (the password lives only there, mode 600), start redis-server, poll until the ACL user can
    /// AUTH, SET and GET over TCP; then SIGTERM (which flushes the AOF) and the directory deleted.
    /// </summary>
    public async Task<BaselineRun> RunOnceAsync(int index, bool idleMemory, CancellationToken cancellationToken)
    {
        var dir = Path.Combine(workRoot, $"redis-base{index}");
        var config = Path.Combine(dir, "redis.conf");
        var serverLog = Path.Combine(dir, "redis.log");
        var password = Passwords.New();
        var port = ByHandMariaDb.FreePort();

        var started = Stopwatch.GetTimestamp();
        Directory.CreateDirectory(dir);
        await File.WriteAllLinesAsync(config,
        [
            "bind 127.0.0.1", $"port {port.ToString(CultureInfo.InvariantCulture)}", "daemonize no", $"dir {dir}", $"logfile {serverLog}",
            // The config path in the process title lets the bench's cleanup find a server a failure left running.
            "proc-title-template \"{title} {listen-addr} {config-file}\"",
            "maxmemory 384mb", "maxmemory-policy noeviction", "appendonly yes", "appendfsync everysec",
            "user default off", $"user bench on >{password} ~* &* +@all",
        ], cancellationToken);
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        if (osUser is not null)
            await Cli.RunCheckedAsync("chown", ["-R", $"{osUser}:{osUser}", dir], cancellationToken);
        var initialized = Stopwatch.GetElapsedTime(started);

        var start = new ProcessStartInfo(ServerPath)
        {
            UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
            WorkingDirectory = "/", ArgumentList = { config },
        };
        if (osUser is not null)
            start.UserName = osUser;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            while (await RespProbe.TryAuthSetGetAsync("127.0.0.1", port, "bench", password, cancellationToken) is { } error)
            {
                if (process.HasExited || Stopwatch.GetElapsedTime(started) > Deadline)
                    throw new InvalidOperationException($"redis-server never answered (exited: {process.HasExited}); see {serverLog}: {error}");
                await Task.Delay(PollInterval, cancellationToken);
            }

            var total = Stopwatch.GetElapsedTime(started);
            MemoryUse? memory = null;
            if (idleMemory)
            {
                await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
                memory = ProcFs.Memory(process.Id);
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
    }

    private static async Task ShutDownAsync(Process process)
    {
        if (!process.HasExited)
            LibC.Signal(process.Id, LibC.SigTerm);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }
}
