using System.Diagnostics;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.Native;

namespace Hoard.Guest.Datastores;

/// <summary>
/// The process handling every datastore server shares: one supervised server process at a time, stopping it
/// with a timeout, stopping one an earlier guest left running, waiting for it to answer, and giving its files to
/// the service user. The server class says how to start, ask to stop and query its own process.
/// </summary>
/// <param name="name">The server's executable, e.g. "mariadbd": the supervisor's name and what an orphan's command line must show.</param>
/// <param name="logName">Prefix of log lines, e.g. "mariadb".</param>
/// <param name="displayName">The datastore's name in messages to the caller, e.g. "MariaDB".</param>
/// <param name="onCrash">Told of every unexpected exit of the server, before the supervisor's restart delay.</param>
internal sealed class ServerProcess(
    string name, string logName, string displayName, string serviceUser, TimeSpan startTimeout, TimeSpan stopTimeout, Action<string> log,
    Action<ServerCrash>? onCrash = null)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    public bool AsRoot { get; } = LibC.IsRoot;

    public ServerSupervisor? Supervisor { get; private set; }

    /// <summary>Starts the server under a new supervisor, unless one is already supervising it.</summary>
    public async Task StartAsync(Func<ProcessStartInfo> startInfo, string outputLogPath, Func<Task> stopOrphan, CancellationToken cancellationToken)
    {
        if (Supervisor is { IsSupervising: true })
            return;
        await stopOrphan();
        if (Supervisor is not null)
            await Supervisor.DisposeAsync();
        Supervisor = null;

        var supervisor = new ServerSupervisor(name, startInfo, outputLogPath, log, onCrash);
        try
        {
            await supervisor.StartAsync(cancellationToken);
        }
        catch
        {
            await supervisor.DisposeAsync();
            throw;
        }

        Supervisor = supervisor;
    }

    /// <summary>Asks the server to stop (given its pid), killing it if it has not exited by the stop timeout.</summary>
    public async Task StopAsync(Func<int?, Task> askToStop)
    {
        if (Supervisor is null)
            return;
        var pid = Supervisor.Pid;
        await Supervisor.StopAsync(() => askToStop(pid), stopTimeout);
        await Supervisor.DisposeAsync();
        Supervisor = null;
    }

    /// <summary>
    /// Polls <paramref name="query"/> until it succeeds; gives up, with the last lines of the server's log, once
    /// <paramref name="keepWaiting"/> says no, the start timeout has passed, or the server has exited.
    /// </summary>
    public async Task WaitUntilAnsweringAsync<TException>(
        Func<Task> query, Func<TException, bool> keepWaiting, string logPath, Func<string> readLog, CancellationToken cancellationToken)
        where TException : Exception
    {
        var supervisor = Supervisor ?? throw new InvalidOperationException("The server has not been started.");
        var restarts = supervisor.RestartCount;
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                await query();
                return;
            }
            catch (TException e) when (keepWaiting(e)
                && Stopwatch.GetElapsedTime(started) < startTimeout
                && supervisor.RestartCount == restarts && supervisor.IsRunning)
            {
            }
            catch (TException e)
            {
                var why = !supervisor.IsRunning || supervisor.RestartCount != restarts ? $"{name} exited" : e.Message;
                throw new HandlerException(GuestErrorCodes.Internal,
                    $"{displayName} did not come up within {startTimeout.TotalSeconds:0} s ({why}). Last lines of {logPath}: {LastLines(readLog(), 8)}");
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    /// <summary>
    /// Stops a server an earlier guest process left running with pid <paramref name="pid"/>, but only if its command
    /// line names this instance (<paramref name="instanceMarker"/>). <paramref name="askToStop"/> null kills it at
    /// once (its data is about to be discarded); otherwise it is killed if it has not exited by the stop timeout.
    /// </summary>
    public async Task StopOrphanAsync(int pid, string instanceMarker, Action<int>? askToStop, CancellationToken cancellationToken)
    {
        string commandLine;
        try
        {
            commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return;
        }

        if (!commandLine.Contains(name, StringComparison.Ordinal) || !commandLine.Contains(instanceMarker, StringComparison.Ordinal))
            return;

        log($"{logName}: stopping pid {pid}, left running by an earlier guest.");
        askToStop?.Invoke(pid);
        var started = Stopwatch.GetTimestamp();
        var killed = false;
        while (IsAlive(pid))
        {
            if (!killed && (askToStop is null || Stopwatch.GetElapsedTime(started) > OrphanStopTimeout))
            {
                killed = true;
                try
                {
                    using var orphan = Process.GetProcessById(pid);
                    orphan.Kill();
                }
                catch (ArgumentException)
                {
                    // Gone in the meantime.
                }
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    /// <summary>
    /// An orphan may still be starting and not yet able to take a clean shutdown; it is killed sooner than a server
    /// of ours would be (the datastore's crash recovery covers it), so that a guest restart is not held up for long.
    /// </summary>
    private TimeSpan OrphanStopTimeout => stopTimeout < TimeSpan.FromSeconds(10) ? stopTimeout : TimeSpan.FromSeconds(10);

    /// <summary>True while the process exists and is not a zombie waiting for its parent to reap it.</summary>
    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].TrimStart();
            return state.Length > 0 && state[0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// Checks a configuration file the way the server reads it at start, by running its binary with
    /// <paramref name="arguments"/> (as the service user if <paramref name="asServiceUser"/> and the guest runs as root), so that a setting no running
    /// server is asked about (one that waits for a restart) cannot keep the next start from succeeding.
    /// </summary>
    /// <returns>Null if the binary accepted it; otherwise its error output.</returns>
    public async Task<string?> CheckConfigAsync(string binary, IEnumerable<string> arguments, bool asServiceUser, CancellationToken cancellationToken)
    {
        var check = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (var argument in arguments)
            check.ArgumentList.Add(argument);
        if (AsRoot && asServiceUser)
            check.UserName = serviceUser;

        using var process = Process.Start(check) ?? throw new InvalidOperationException($"{binary} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        await stdout;
        var errors = await stderr;
        return process.ExitCode == 0 ? null : errors;
    }

    /// <summary>Replaces a file the server reads, atomically; owned by the service user when <paramref name="serverOwned"/>.</summary>
    public void WriteServerFile(string path, string contents, UnixFileMode mode, bool serverOwned) =>
        AtomicFile.Write(path, contents, mode, serverOwned ? temporary => GiveToServiceUser(temporary) : null);

    /// <summary>Has <paramref name="startInfo"/> run as the service user when the guest runs as root, as the server does.</summary>
    public ProcessStartInfo AsServiceUser(ProcessStartInfo startInfo)
    {
        if (AsRoot)
            startInfo.UserName = serviceUser;
        return startInfo;
    }

    /// <summary>The server runs as the service user when the guest runs as root, so it must own what it writes.</summary>
    public void GiveToServiceUser(params string[] paths)
    {
        if (!AsRoot)
            return;
        var (uid, gid) = LibC.LookUpUser(serviceUser);
        foreach (var path in paths)
            LibC.ChangeOwner(path, uid, gid);
    }

    public static string LastLines(string text, int count) =>
        string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(count));
}
