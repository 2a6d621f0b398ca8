using System.Diagnostics;

namespace Hoard.Guest.Datastores;

/// <summary>What the supervisor saw when its server exited without being asked to.</summary>
/// <param name="Name">The server's executable, e.g. "mariadbd".</param>
/// <param name="ExitCode">As .NET reports it: 128 + the signal for a process a signal killed; -1 when it could not be started.</param>
internal sealed record ServerCrash(string Name, int ExitCode, TimeSpan Uptime, TimeSpan RestartDelay, int RestartCount)
{
    /// <summary>How the process ended, e.g. "was killed by SIGKILL (signal 9)" or "exited with code 1".</summary>
    public string HowItEnded => ExitCode switch
    {
        -1 => "could not be started again",
        > 128 and <= 128 + 64 => $"was killed by {SignalName(ExitCode - 128)}",
        _ => $"exited with code {ExitCode}",
    };

    private static string SignalName(int signal) => signal switch
    {
        1 => "SIGHUP (signal 1)",
        2 => "SIGINT (signal 2)",
        4 => "SIGILL (signal 4)",
        6 => "SIGABRT (signal 6)",
        7 => "SIGBUS (signal 7)",
        8 => "SIGFPE (signal 8)",
        9 => "SIGKILL (signal 9)",
        11 => "SIGSEGV (signal 11)",
        15 => "SIGTERM (signal 15)",
        _ => $"signal {signal}",
    };
}

/// <summary>
/// Runs one database server process and restarts it when it exits unexpectedly, with exponential backoff
/// (0.5 s doubling to 10 s; back to 0.5 s once a run has lasted a minute). Datastore-agnostic: it only knows
/// how to start the process and, when stopping, how to ask it to go away.
/// </summary>
internal sealed class ServerSupervisor : IAsyncDisposable
{
    public static readonly TimeSpan InitialBackoff = TimeSpan.FromSeconds(0.5);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan StableUptime = TimeSpan.FromSeconds(60);

    private readonly string _name;
    private readonly Func<ProcessStartInfo> _startInfo;
    private readonly string? _outputLogPath;
    private readonly Action<string> _log;
    private readonly Action<ServerCrash>? _onCrash;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lock = new();
    private bool _started;
    private bool _stopRequested;
    private Task _watch = Task.CompletedTask;
    private Process? _process;
    private long _startedAt;
    private int _restartCount;

    /// <param name="name">For log lines, e.g. "mariadbd".</param>
    /// <param name="startInfo">Called before every start, so a start may differ from the last (e.g. a one-time init file).</param>
    /// <param name="outputLogPath">File the child's stdout and stderr are appended to; null discards them.</param>
    /// <param name="log">Receives one line per start, crash and kill. Must not throw.</param>
    /// <param name="onCrash">Called after each unexpected exit, before the restart delay.</param>
    public ServerSupervisor(
        string name,
        Func<ProcessStartInfo> startInfo,
        string? outputLogPath = null,
        Action<string>? log = null,
        Action<ServerCrash>? onCrash = null,
        TimeProvider? timeProvider = null)
    {
        _name = name;
        _startInfo = startInfo;
        _outputLogPath = outputLogPath;
        _log = log ?? (_ => { });
        _onCrash = onCrash;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>True from <see cref="StartAsync"/> until <see cref="StopAsync"/>, even while waiting to restart.</summary>
    public bool IsSupervising
    {
        get
        {
            lock (_lock)
                return _started && !_stopRequested;
        }
    }

    public bool IsRunning => Pid is not null;

    public int? Pid
    {
        get
        {
            lock (_lock)
                return _process is { HasExited: false } process ? process.Id : null;
        }
    }

    /// <summary>Restarts after unexpected exits.</summary>
    public int RestartCount => Volatile.Read(ref _restartCount);

    /// <summary>How long the current process has been running, or null when none is.</summary>
    public TimeSpan? Uptime => IsRunning ? _time.GetElapsedTime(Interlocked.Read(ref _startedAt)) : null;

    /// <summary>Starts the process now (failing to start it throws here) and keeps it running until stopped.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (_started)
                throw new InvalidOperationException($"{_name} has already been started by this supervisor.");
            _started = true;
        }

        var process = Launch() ?? throw new InvalidOperationException($"{_name} was stopped while starting.");
        _watch = Task.Run(() => WatchAsync(process), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops supervising, runs <paramref name="gracefulStop"/> if the process is up, and kills it (SIGKILL) if it
    /// has not exited within <paramref name="timeout"/>.
    /// </summary>
    public async Task StopAsync(Func<Task> gracefulStop, TimeSpan timeout)
    {
        Process? process;
        lock (_lock)
        {
            // From here on Launch refuses to start anything, so the process read here is the last one.
            _stopRequested = true;
            process = _process;
        }

        if (!_stopping.IsCancellationRequested)
            await _stopping.CancelAsync();
        if (process is { HasExited: false })
        {
            var started = _time.GetTimestamp();
            try
            {
                await gracefulStop().WaitAsync(timeout, _time);
            }
            catch (TimeoutException)
            {
            }
            catch (Exception e)
            {
                _log($"{_name}: graceful stop failed: {e.Message}");
            }

            try
            {
                var remaining = timeout - _time.GetElapsedTime(started);
                await process.WaitForExitAsync().WaitAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, _time);
            }
            catch (TimeoutException)
            {
                _log($"{_name}: pid {process.Id} did not stop within {timeout.TotalSeconds:0.#} s; killing it.");
                process.Kill();
                await process.WaitForExitAsync();
            }
        }

        await _watch;
    }

    /// <summary>Kills the process if it is still running; stop it gracefully with <see cref="StopAsync"/> first.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(() => Task.CompletedTask, TimeSpan.Zero);
        lock (_lock)
        {
            _process?.Dispose();
            _process = null;
        }

        _stopping.Dispose();
    }

    private async Task WatchAsync(Process? process)
    {
        var backoff = InitialBackoff;
        while (true)
        {
            var exitCode = -1;
            var uptime = TimeSpan.Zero;
            if (process is not null)
            {
                await process.WaitForExitAsync();
                exitCode = process.ExitCode;
                uptime = _time.GetElapsedTime(Interlocked.Read(ref _startedAt));
            }

            if (_stopping.IsCancellationRequested)
                return;
            if (uptime >= StableUptime)
                backoff = InitialBackoff;

            var restarts = Interlocked.Increment(ref _restartCount);
            _log($"{_name}: exited unexpectedly with code {exitCode} after {uptime.TotalSeconds:0.#} s; restart {restarts} in {backoff.TotalSeconds:0.#} s.");
            try
            {
                _onCrash?.Invoke(new ServerCrash(_name, exitCode, uptime, backoff, restarts));
            }
            catch (Exception e)
            {
                _log($"{_name}: crash callback failed: {e.Message}");
            }

            try
            {
                await Task.Delay(backoff, _time, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            try
            {
                process = Launch();
                if (process is null)
                    return;
            }
            catch (Exception e)
            {
                // Could not even exec it (binary gone, no file descriptors): keep trying on the same backoff.
                _log($"{_name}: restart failed: {e.Message}");
                process = null;
            }
        }
    }

    /// <summary>Starts a new process, or returns null once a stop has been requested.</summary>
    private Process? Launch()
    {
        var startInfo = _startInfo();
        startInfo.UseShellExecute = false;
        startInfo.RedirectStandardInput = true;
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;

        var process = new Process { StartInfo = startInfo };
        var output = new OutputLog(_outputLogPath);
        process.OutputDataReceived += (_, e) => output.Write(e.Data);
        process.ErrorDataReceived += (_, e) => output.Write(e.Data);
        lock (_lock)
        {
            if (_stopRequested)
            {
                process.Dispose();
                return null;
            }

            process.Start();
            Interlocked.Exchange(ref _startedAt, _time.GetTimestamp());
            var previous = _process;
            _process = process;
            previous?.Dispose();
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _log($"{_name}: started pid {process.Id}.");
        return process;
    }

    /// <summary>Appends the child's output lines to a file; closes it when both streams have ended.</summary>
    private sealed class OutputLog(string? path)
    {
        private readonly Lock _lock = new();
        private StreamWriter? _writer;
        private int _endedStreams;
        private bool _failed;

        public void Write(string? line)
        {
            if (path is null)
                return;
            lock (_lock)
            {
                if (line is null)
                {
                    if (++_endedStreams == 2)
                        _writer?.Dispose();
                    return;
                }

                if (_endedStreams == 2 || _failed)
                    return;
                try
                {
                    _writer ??= new StreamWriter(path, append: true) { AutoFlush = true };
                    _writer.WriteLine(line);
                }
                catch (IOException)
                {
                    // A full or missing log directory must not take the guest down; drop the output.
                    _failed = true;
                }
                catch (UnauthorizedAccessException)
                {
                    _failed = true;
                }
            }
        }
    }
}
