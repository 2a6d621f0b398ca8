using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Hoard.Guest;

/// <summary>
/// The guest writes its own log file (it outlives the server that started it, so it must not write to the
/// server's terminal), as text or as JSON lines. Messages never include RPC arguments, which may carry passwords.
/// </summary>
internal sealed class GuestLog : ILogger, IDisposable
{
    private readonly StreamWriter _writer;
    private readonly string? _jsonInstanceId;
    private readonly Lock _gate = new();

    /// <param name="jsonInstanceId">When set, each line is a JSON object (time, level, instance_id, message, exception)
    /// carrying this instance id; otherwise plain text.</param>
    public GuestLog(string path, string? jsonInstanceId = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        _jsonInstanceId = jsonInstanceId;
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
        var time = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        lock (_gate)
        {
            if (_jsonInstanceId is not null)
            {
                _writer.WriteLine(JsonLine(time, level, message, exception));
                return;
            }

            _writer.WriteLine($"{time} {level} {message}");
            if (exception is not null)
            {
                _writer.WriteLine(exception.ToString());
            }
        }
    }

    private string JsonLine(string time, string level, string message, Exception? exception)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("time", time);
            json.WriteString("level", level);
            json.WriteString("instance_id", _jsonInstanceId);
            json.WriteString("message", message);
            if (exception is not null)
            {
                json.WriteString("exception", exception.ToString());
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public void Dispose() => _writer.Dispose();
}
