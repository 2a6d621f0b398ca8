using System.Diagnostics;
using System.Text;

namespace Hoard.Bench.Provisioning;

/// <summary>Runs a command to completion and captures what it printed.</summary>
internal static class Cli
{
    /// <param name="userName">Run as this OS user (the bench runs as root); its working directory is then <c>/</c>.</param>
    public static async Task<CliResult> RunAsync(string file, IEnumerable<string> arguments, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null, string? userName = null)
    {
        var start = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        if (userName is not null)
        {
            start.UserName = userName;
            start.WorkingDirectory = "/";
        }

        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            start.Environment[key] = value;

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var output = new StringBuilder(await stdout).Append(await stderr).ToString();
        return new CliResult(process.ExitCode, output);
    }

    public static async Task RunCheckedAsync(string file, IEnumerable<string> arguments, CancellationToken cancellationToken,
        string? userName = null)
    {
        var list = arguments.ToList();
        var result = await RunAsync(file, list, cancellationToken, userName: userName);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', list)} exited with {result.ExitCode}: {result.Output.Trim()}");
    }
}
