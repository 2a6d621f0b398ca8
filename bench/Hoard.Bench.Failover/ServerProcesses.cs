using System.Diagnostics;
using Hoard.Bench.Provisioning;

namespace Hoard.Bench.Failover;

/// <summary>Starting by-hand servers, and the kill -9 both sides of the bench get: every process at once, then until all are gone.</summary>
internal static class ServerProcesses
{
    private static readonly TimeSpan GoneDeadline = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Starts a server with its output appended to <paramref name="logPath"/>; <c>exec</c> makes the returned process the
    /// server itself, so signals reach it, and it holds no pipe to this process.
    /// </summary>
    public static Process Start(string file, IEnumerable<string> arguments, string logPath, string? user)
    {
        var start = new ProcessStartInfo("/bin/bash") { UseShellExecute = false, RedirectStandardInput = true, WorkingDirectory = "/", UserName = user };
        foreach (var argument in (string[])["-c", "exec \"$0\" \"$@\" >>\"$SERVER_LOG\" 2>&1", file, .. arguments])
            start.ArgumentList.Add(argument);
        start.Environment["SERVER_LOG"] = logPath;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        process.StandardInput.Close();
        return process;
    }

    /// <summary>The processes and all their descendants (PostgreSQL's backends do not carry the instance id in their titles).</summary>
    public static List<int> WithDescendants(IEnumerable<int> pids)
    {
        var all = new List<int>();
        var pending = new Queue<int>(pids);
        while (pending.TryDequeue(out var pid))
        {
            if (all.Contains(pid))
                continue;
            all.Add(pid);
            foreach (var child in ProcFs.Children(pid))
                pending.Enqueue(child);
        }

        return all;
    }

    /// <summary>SIGKILL to every one of <paramref name="pids"/>, as close together as a loop allows.</summary>
    public static void KillAll(IReadOnlyList<int> pids)
    {
        foreach (var pid in pids)
            LibC.Signal(pid, LibC.SigKill);
    }

    /// <summary>Until every one of <paramref name="pids"/> has exited (a zombie counts as exited).</summary>
    public static async Task WaitGoneAsync(IReadOnlyList<int> pids)
    {
        var started = Stopwatch.GetTimestamp();
        while (pids.Any(IsRunning))
        {
            if (Stopwatch.GetElapsedTime(started) > GoneDeadline)
                throw new TimeoutException($"Processes {string.Join(", ", pids.Where(IsRunning))} were still running {GoneDeadline.TotalSeconds:0} s after SIGKILL.");
            await Task.Delay(2);
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].TrimStart();
            return state.Length > 0 && state[0] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Runs a command with <paramref name="input"/> on its stdin (statements that hold a password stay out of the arguments).</summary>
    public static async Task RunWithInputAsync(string file, IEnumerable<string> arguments, string input, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file)
        {
            UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.StandardInput.WriteAsync(input.AsMemory(), cancellationToken);
        process.StandardInput.Close();
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} exited with {process.ExitCode}: {(await stdout + await stderr).Trim()}");
    }
}
