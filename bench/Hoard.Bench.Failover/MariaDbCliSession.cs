using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Hoard.Bench.Failover;

/// <summary>
/// One persistent <c>mariadb</c> process fed statements on stdin: each INSERT is followed by <c>SELECT N</c>, whose
/// echo on stdout is the write's acknowledgement (batch mode without <c>--force</c> stops at the first error, so the
/// echo only comes after a committed INSERT). <c>--skip-reconnect</c>: a broken connection ends the process, and the
/// writer starts a new one, rather than the client reconnecting behind its back.
/// </summary>
internal sealed class MariaDbCliSession(WriteTarget target) : ISequenceSession
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(5);
    private readonly StringBuilder _errors = new();
    private Process? _process;

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("mariadb")
        {
            UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var argument in MariaDbSequenceTable.ClientArguments(target).Concat(["--unbuffered", "--skip-reconnect"]))
            start.ArgumentList.Add(argument);
        foreach (var (key, value) in MariaDbSequenceTable.Environment(target))
            start.Environment[key] = value;
        _process = Process.Start(start) ?? throw new InvalidOperationException("mariadb did not start.");
        _process.ErrorDataReceived += (_, e) =>
        {
            lock (_errors)
                _errors.Append(e.Data).Append(' ');
        };
        _process.BeginErrorReadLine();
        await RoundTripAsync("SELECT 0;", "0", cancellationToken);
    }

    public Task WriteAsync(long number, CancellationToken cancellationToken)
    {
        var text = number.ToString(CultureInfo.InvariantCulture);
        return RoundTripAsync($"INSERT INTO seq (n) VALUES ({text}); SELECT {text};", text, cancellationToken);
    }

    private async Task RoundTripAsync(string statements, string expected, CancellationToken cancellationToken)
    {
        var process = _process ?? throw new InvalidOperationException("Not connected.");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(AnswerTimeout);
        await process.StandardInput.WriteLineAsync(statements.AsMemory(), timeout.Token);
        await process.StandardInput.FlushAsync(timeout.Token);
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line != expected)
        {
            if (line is null)
                await process.WaitForExitAsync(timeout.Token);
            throw new IOException(line is null ? $"mariadb ended: {Errors()}" : $"mariadb printed '{line}' instead of '{expected}'.");
        }
    }

    private string Errors()
    {
        lock (_errors)
            return _errors.ToString().Trim();
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is null)
            return;
        if (!_process.HasExited)
            _process.Kill();
        await _process.WaitForExitAsync(CancellationToken.None);
        _process.Dispose();
    }
}
