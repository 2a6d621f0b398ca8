namespace Hoard.Bench.Provisioning;

/// <summary>A by-hand server's output, kept in a file in its directory and its last lines for an error message.</summary>
internal sealed class ServerLog(string path) : IDisposable
{
    private const int TailLines = 10;
    private readonly Lock _lock = new();
    private readonly StreamWriter _writer = new(path, append: true) { AutoFlush = true };
    private readonly Queue<string> _tail = new();
    private bool _disposed;

    public void Append(string? line)
    {
        if (line is null)
            return;
        lock (_lock)
        {
            if (_disposed)
                return;
            _writer.WriteLine(line);
            _tail.Enqueue(line);
            if (_tail.Count > TailLines)
                _tail.Dequeue();
        }
    }

    public string Tail()
    {
        lock (_lock)
            return _tail.Count == 0 ? $"(nothing in {path})" : $"last lines of {path}:\n{string.Join('\n', _tail)}";
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _writer.Dispose();
        }
    }
}
