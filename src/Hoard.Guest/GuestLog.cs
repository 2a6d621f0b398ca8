using Microsoft.Extensions.Logging;

namespace Hoard.Guest;

/// <summary>
/// The guest writes its own log file (it outlives the server that started it, so it must not write to the
/// server's terminal). Messages never include RPC arguments, which may carry passwords.
/// </summary>
internal sealed class GuestLog : ILogger, IDisposable
{
    private readonly StreamWriter _writer;
    private readonly Lock _gate = new();

    public GuestLog(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
    }

    public void Info(string message) => Write("INFO", message, null);

    public void Error(string message, Exception? exception = null) => Write("ERROR", message, exception);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            Write(logLevel.ToString().ToUpperInvariant(), formatter(state, exception), exception);
        }
    }

    private void Write(string level, string message, Exception? exception)
    {
        lock (_gate)
        {
            _writer.WriteLine($"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {level} {message}");
            if (exception is not null)
            {
                _writer.WriteLine(exception.ToString());
            }
        }
    }

    public void Dispose() => _writer.Dispose();
}
