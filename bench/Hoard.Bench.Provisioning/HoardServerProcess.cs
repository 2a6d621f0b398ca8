using System.Diagnostics;

namespace Hoard.Bench.Provisioning;

/// <summary>
/// The real hoard-server, started with <c>dotnet hoard-server.dll</c>. Its output goes straight to a file (not a
/// pipe to this process), so that with <c>--keep</c> it runs on unharmed after the bench exits.
/// </summary>
internal sealed class HoardServerProcess(Process process, string baseUrl, string dataDir, string logPath) : IAsyncDisposable
{
    public string BaseUrl => baseUrl;

    public string LogPath => logPath;

    public int Pid => process.Id;

    public static HoardServerProcess Start(string serverDll, string dataDir, string logPath)
    {
        if (!File.Exists(serverDll))
            throw new FileNotFoundException($"{serverDll} is missing; build it with `dotnet build -c Release Hoard.slnx` or pass --server.");
        var baseUrl = $"http://127.0.0.1:{ByHandMariaDb.FreePort()}";
        var start = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            WorkingDirectory = Path.GetDirectoryName(serverDll)!,
            // exec: the shell becomes the server, so the pid is the server's.
            ArgumentList =
            {
                "-c", "exec \"$0\" \"$@\" >\"$HOARD_BENCH_LOG\" 2>&1", "dotnet", serverDll, $"--Hoard:DataDir={dataDir}", $"--Hoard:Listen={baseUrl}",
                // UTC timestamps, as in guest.log, so the two logs can be read as one timeline.
                "--Logging:Console:FormatterOptions:TimestampFormat=yyyy-MM-ddTHH:mm:ss.fffZ ", "--Logging:Console:FormatterOptions:UseUtcTimestamp=true",
            },
        };
        start.Environment["HOARD_BENCH_LOG"] = logPath;
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var process = Process.Start(start) ?? throw new InvalidOperationException("hoard-server did not start.");
        process.StandardInput.Close();
        return new HoardServerProcess(process, baseUrl, dataDir, logPath);
    }

    /// <summary>Waits until the API answers and the first-start credentials file exists.</summary>
    public async Task WaitUntilReadyAsync(HttpClient http, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var openrc = Path.Combine(dataDir, "admin-openrc.sh");
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"hoard-server exited with {process.ExitCode}.");
            try
            {
                using var response = await http.GetAsync($"{baseUrl}/v3", cancellationToken);
                if ((int)response.StatusCode < 500 && File.Exists(openrc))
                    return;
            }
            catch (HttpRequestException)
            {
            }

            if (Stopwatch.GetElapsedTime(started) > deadline)
                throw new TimeoutException($"hoard-server did not answer {baseUrl}/v3 within {deadline.TotalSeconds:0} s.");
            await Task.Delay(50, cancellationToken);
        }
    }

    public string Tail(int lines)
    {
        try
        {
            using var reader = new StreamReader(new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            return string.Join('\n', reader.ReadToEnd().Split('\n').TakeLast(lines));
        }
        catch (IOException e)
        {
            return $"({e.Message})";
        }
    }

    /// <summary>SIGTERM, then SIGKILL after 10 s.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            LibC.Signal(process.Id, LibC.SigTerm);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }

        process.Dispose();
    }
}
