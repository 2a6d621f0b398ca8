using System.Diagnostics;
using System.IO.Pipes;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;

namespace Hoard.Guest.Backups;

/// <summary>
/// A backup or restore tool (mariadb-backup, mbstream, pg_basebackup) run as a child process: its data goes through
/// stdin or stdout, its stderr is kept (the last lines only) to explain a failure. Disposing it kills the tool if it
/// is still running, so an abandoned transfer never leaves one behind.
/// </summary>
internal sealed partial class ToolProcess : IAsyncDisposable
{
    private const int KeptLines = 60;
    private readonly Process _process;
    private readonly Queue<string> _stderr = new();
    private readonly Task _readingStderr;
    private readonly IReadOnlyCollection<string> _secrets;

    private ToolProcess(string name, Process process, IReadOnlyCollection<string> secrets)
    {
        Name = name;
        _process = process;
        _secrets = secrets;
        _readingStderr = Task.Run(ReadStderrAsync);
    }

    /// <summary>The tool's name in messages, e.g. "mariadb-backup".</summary>
    public string Name { get; }

    public Stream StandardOutput => _process.StandardOutput.BaseStream;

    public Stream StandardInput => _process.StandardInput.BaseStream;

    /// <param name="secrets">Strings that must never appear in an error message (passwords the tool could echo).</param>
    public static ToolProcess Start(string name, ProcessStartInfo startInfo, IReadOnlyCollection<string> secrets)
    {
        startInfo.UseShellExecute = false;
        startInfo.RedirectStandardError = true;
        if (string.IsNullOrEmpty(startInfo.WorkingDirectory))
            startInfo.WorkingDirectory = "/";
        Process process;
        try
        {
            process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{name} did not start.");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new HandlerException(GuestErrorCodes.Internal, $"{name} could not be started ({startInfo.FileName}): {e.Message}");
        }

        if (startInfo.RedirectStandardOutput)
            Enlarge(process.StandardOutput.BaseStream);
        if (startInfo.RedirectStandardInput)
            Enlarge(process.StandardInput.BaseStream);
        return new ToolProcess(name, process, secrets);
    }

    /// <summary>Linux's <c>F_SETPIPE_SZ</c>.</summary>
    private const int SetPipeSize = 1031;

    /// <summary>
    /// The data pipes hold 1 MiB instead of 64 KiB: a backup moves gigabytes through them, and with 64 KiB every read and
    /// write is a wake-up of the other side (measured: half of the guest's CPU time in a 1 GB backup was those).
    /// Best effort: a smaller pipe still works.
    /// </summary>
    private static void Enlarge(Stream stream)
    {
        if (stream is PipeStream pipe)
            _ = fcntl((int)pipe.SafePipeHandle.DangerousGetHandle(), SetPipeSize, BackupTransfers.BufferSize);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(int fd, int command, int argument);

    /// <summary>Waits for the tool to exit; a non-zero exit is a <see cref="HandlerException"/> naming the tool and its errors.</summary>
    public async Task WaitForSuccessAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken);
        await _readingStderr;
        if (_process.ExitCode != 0)
            throw Failed();
    }

    /// <summary>The tool's failure, if it has exited with an error by now (e.g. after its stdin stopped taking data).</summary>
    public async Task<HandlerException?> FailureAfterExitAsync(TimeSpan wait)
    {
        using var timeout = new CancellationTokenSource(wait);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            await _readingStderr;
        }
        catch (OperationCanceledException)
        {
            return null;
        }

        return _process.ExitCode != 0 ? Failed() : null;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited in the meantime.
            }

            await _process.WaitForExitAsync();
        }

        try
        {
            await _readingStderr;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }

        _process.Dispose();
    }

    private HandlerException Failed() =>
        new(GuestErrorCodes.Internal, $"{Name} exited with code {_process.ExitCode}: {ErrorSummary()}");

    /// <summary>The lines that say what went wrong (errors, else the last few), secrets masked.</summary>
    private string ErrorSummary()
    {
        string[] lines;
        lock (_stderr)
            lines = [.. _stderr];
        var errors = lines.Where(line => ErrorLine().IsMatch(line)).TakeLast(4).ToList();
        var chosen = errors.Count > 0 ? errors : lines.TakeLast(4).ToList();
        var summary = chosen.Count > 0 ? string.Join(" | ", chosen) : "(it wrote nothing to stderr)";
        return Scrub(summary, _secrets);
    }

    /// <summary>Masks every secret in <paramref name="text"/>.</summary>
    public static string Scrub(string text, IEnumerable<string> secrets)
    {
        foreach (var secret in secrets.Where(s => s.Length > 0))
            text = text.Replace(secret, "***", StringComparison.Ordinal);
        return text;
    }

    private async Task ReadStderrAsync()
    {
        while (await _process.StandardError.ReadLineAsync() is { } line)
        {
            line = line.Trim();
            if (line.Length == 0)
                continue;
            lock (_stderr)
            {
                _stderr.Enqueue(line.Length > 400 ? line[..400] + "…" : line);
                if (_stderr.Count > KeptLines)
                    _stderr.Dequeue();
            }
        }
    }

    [GeneratedRegex(@"error|fatal|failed|denied|cannot|can't|could not|no space", RegexOptions.IgnoreCase)]
    private static partial Regex ErrorLine();
}
