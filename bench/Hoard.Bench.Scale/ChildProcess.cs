using System.Diagnostics;

namespace Hoard.Bench.Scale;

/// <summary>
/// A baseline server run as a child process of this bench (the same program with a <c>--serve-…</c> mode), so that it
/// has a process of its own as hoard-server does. It prints <see cref="Ready"/> when serving and stops when its
/// standard input closes.
/// </summary>
internal sealed class ChildProcess(Process process, string what) : IAsyncDisposable
{
    public const string Ready = "ready";

    public int Pid => process.Id;

    /// <param name="environment">Set in the child's environment only (a secret never goes on its command line).</param>
    public static async Task<ChildProcess> StartAsync(string what, IEnumerable<string> arguments, TimeSpan deadline, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        // Under `dotnet run` or `dotnet hoard-bench-scale.dll` the process is dotnet: name this program's assembly.
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
            start.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{what} did not start.");
        var child = new ChildProcess(process, what);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(deadline);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line == Ready)
                    return child;
            }

            throw new InvalidOperationException($"{what} exited before it was ready: {await process.StandardError.ReadToEndAsync(cancellationToken)}");
        }
        catch
        {
            await child.DisposeAsync();
            throw;
        }
    }

    /// <summary>In the child: returns when the bench closes standard input (or is gone).</summary>
    public static async Task WaitForStopAsync()
    {
        using var stdin = Console.OpenStandardInput();
        var buffer = new byte[64];
        while (await stdin.ReadAsync(buffer) > 0)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.StandardInput.Close();
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine($"{what} did not stop; killing it");
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }

        process.Dispose();
    }
}
