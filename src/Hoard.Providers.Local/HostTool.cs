using System.Diagnostics;

namespace Hoard.Providers.Local;

/// <summary>Runs a system tool with an argument list (never through a shell) and collects what it said.</summary>
internal static class HostTool
{
    private static readonly string[] SearchDirs = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

    /// <summary>Absolute path of a system tool, or null when it is not installed.</summary>
    public static string? Find(string name) =>
        SearchDirs.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    public static async Task<HostToolResult> RunAsync(string name, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var path = Find(name) ?? throw new InvalidOperationException($"'{name}' is not installed (looked in {string.Join(", ", SearchDirs)}).");
        var start = new ProcessStartInfo(path)
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Stable, parseable messages whatever the operator's locale.
        start.Environment["LC_ALL"] = "C";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{path} did not start.");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw;
        }

        return new HostToolResult(process.ExitCode, (await stdout).Trim(), (await stderr).Trim(),
            $"{name} {string.Join(' ', start.ArgumentList)}");
    }

    /// <summary>Runs the tool and throws, with its own error message, when it fails.</summary>
    public static async Task<string> RunCheckedAsync(string name, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var result = await RunAsync(name, arguments, cancellationToken);
        return result.ExitCode == 0
            ? result.Stdout
            : throw new InvalidOperationException($"'{result.CommandLine}' failed (exit {result.ExitCode}): {result.Stderr}");
    }
}

internal sealed record HostToolResult(int ExitCode, string Stdout, string Stderr, string CommandLine);
