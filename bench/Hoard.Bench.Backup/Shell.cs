using System.Diagnostics;
using Hoard.Bench.Provisioning;

namespace Hoard.Bench.Backup;

/// <summary>By-hand steps as an operator types them: bash with <c>pipefail</c>, so every stage of a pipe must succeed.</summary>
internal static class Shell
{
    /// <summary>
    /// Runs <paramref name="script"/> (its arguments are <c>$1</c>, <c>$2</c>, …) as <paramref name="user"/> and returns how
    /// long it took. Secrets go in files or <paramref name="environment"/>, never in the arguments.
    /// </summary>
    public static async Task<TimeSpan> RunTimedAsync(string what, string script, IEnumerable<string> arguments, string? user,
        CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await Cli.RunAsync("bash", ["-c", "set -euo pipefail\n" + script, "bash", .. arguments], cancellationToken, environment, user);
        var elapsed = Stopwatch.GetElapsedTime(started);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{what} failed ({result.ExitCode}): {Tail(result.Output)}");
        return elapsed;
    }

    /// <summary>
    /// Starts a server in the background, its output in <paramref name="logPath"/>; <c>exec</c> makes the returned process
    /// the server itself, so signals reach it.
    /// </summary>
    public static Process StartServer(string file, IEnumerable<string> arguments, string logPath, string? user)
    {
        var start = new ProcessStartInfo("/bin/bash") { UseShellExecute = false, RedirectStandardInput = true, WorkingDirectory = "/", UserName = user };
        foreach (var argument in (string[])["-c", "exec \"$0\" \"$@\" >>\"$SERVER_LOG\" 2>&1", file, .. arguments])
            start.ArgumentList.Add(argument);
        start.Environment["SERVER_LOG"] = logPath;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        process.StandardInput.Close();
        return process;
    }

    /// <summary>Signals the server, waits up to a minute for it to exit, then kills it.</summary>
    public static async Task StopServerAsync(Process process, int signal)
    {
        if (!process.HasExited)
            LibC.Signal(process.Id, signal);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
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

    /// <summary>A directory owned by <paramref name="user"/> that only it can enter.</summary>
    public static async Task<string> PrivateDirectoryAsync(string path, string? user, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (user is not null)
            await Cli.RunCheckedAsync("chown", [$"{user}:{user}", path], cancellationToken);
        return path;
    }

    /// <summary>The apparent size of every file under <paramref name="path"/> (as <c>du -sb</c>), leaving out the named subdirectories.</summary>
    public static long DirectoryBytes(string path, IReadOnlyCollection<string> notCounted)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = false, AttributesToSkip = 0 };
        long total = 0;
        foreach (var file in Directory.EnumerateFiles(path, "*", options))
            total += new FileInfo(file).Length;
        foreach (var directory in Directory.EnumerateDirectories(path, "*", options))
        {
            if (!notCounted.Contains(Path.GetFileName(directory)))
                total += DirectoryBytes(directory, []);
        }

        return total;
    }

    private static string Tail(string output)
    {
        var lines = output.Trim().Split('\n');
        return string.Join('\n', lines.TakeLast(12));
    }
}
