using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Hoard.Bench.Provisioning;

/// <summary>
/// The baseline: what an operator types to get a private MariaDB (reference/host-notes.md §2), with the memory
/// settings Hoard renders for its smallest flavor (m1.tiny, 512 MB) passed as options instead of a my.cnf.
/// </summary>
internal sealed class ByHandMariaDb(string workRoot, string? osUser) : IByHandBaseline
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>MariaDbConfigTemplate's values for 512 MB; given to install-db too, as a my.cnf would be.</summary>
    public static readonly string[] MemorySettings =
    [
        "--innodb-buffer-pool-size=128M", "--innodb-log-file-size=48M", "--innodb-log-buffer-size=4M",
        "--key-buffer-size=1M", "--max-connections=50", "--performance-schema=OFF",
    ];

    /// <summary>Install, start, poll until <c>select 1</c> answers, then shut down and delete the directory.</summary>
    public async Task<BaselineRun> RunOnceAsync(int index, bool idleMemory, CancellationToken cancellationToken)
    {
        var dir = Path.Combine(workRoot, $"base{index}");
        var socket = Path.Combine(dir, "run", "mysqld.sock");
        var started = Stopwatch.GetTimestamp();
        Directory.CreateDirectory(Path.Combine(dir, "run"));
        Directory.CreateDirectory(Path.Combine(dir, "log"));
        if (osUser is not null)
            await Cli.RunCheckedAsync("chown", ["-R", $"{osUser}:{osUser}", dir], cancellationToken);

        string[] userOption = osUser is null ? [] : [$"--user={osUser}"];
        await Cli.RunCheckedAsync("mariadb-install-db",
        [
            "--no-defaults", .. userOption, $"--datadir={dir}/data", "--auth-root-authentication-method=normal",
            "--skip-test-db", "--skip-name-resolve", .. MemorySettings,
        ], cancellationToken);
        var installed = Stopwatch.GetElapsedTime(started);

        // Output before --log-error takes effect (a max_open_files warning) would land in the report; drop it.
        var server = new ProcessStartInfo("mariadbd")
        {
            UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var argument in (string[])
                 [
                     "--no-defaults", .. userOption, $"--datadir={dir}/data", $"--socket={socket}", $"--pid-file={dir}/run/mysqld.pid",
                     $"--port={FreePort()}", "--bind-address=127.0.0.1", "--skip-name-resolve", $"--log-error={dir}/log/error.log",
                     .. MemorySettings,
                 ])
        {
            server.ArgumentList.Add(argument);
        }

        using var process = Process.Start(server) ?? throw new InvalidOperationException("mariadbd did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            while (true)
            {
                var probe = await Cli.RunAsync("mariadb", ["--no-defaults", "-uroot", $"--socket={socket}", "-e", "select 1"], cancellationToken);
                if (probe.ExitCode == 0)
                    break;
                if (process.HasExited || Stopwatch.GetElapsedTime(started) > Deadline)
                    throw new InvalidOperationException($"mariadbd never answered (exited: {process.HasExited}); see {dir}/log/error.log: {probe.Output.Trim()}");
                await Task.Delay(PollInterval, cancellationToken);
            }

            var total = Stopwatch.GetElapsedTime(started);
            MemoryUse? memory = null;
            if (idleMemory)
            {
                await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
                memory = ProcFs.Memory(process.Id);
            }

            await ShutDownAsync(process, socket);
            Directory.Delete(dir, recursive: true);
            return new BaselineRun(installed, total - installed, total, memory);
        }
        catch
        {
            // The directory stays for its error log; the bench's cleanup removes it.
            await ShutDownAsync(process, socket);
            throw;
        }
    }

    private static async Task ShutDownAsync(Process process, string socket)
    {
        if (!process.HasExited)
            await Cli.RunAsync("mariadb-admin", ["--no-defaults", "-uroot", $"--socket={socket}", "shutdown"], CancellationToken.None);
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

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
