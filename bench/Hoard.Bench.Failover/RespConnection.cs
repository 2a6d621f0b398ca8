using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Hoard.Bench.Failover;

/// <summary>
/// Just enough RESP2 over a <see cref="TcpClient"/> for the writer: AUTH, SET and MGET (the package mirror has no Redis
/// client, and the provisioning bench's probe opens a connection per call). Error replies throw; they name the
/// problem (READONLY, LOADING, WRONGPASS), never the password.
/// </summary>
internal sealed class RespConnection : IDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(2);
    private readonly TcpClient _tcp = new() { NoDelay = true };
    private readonly byte[] _buffer = new byte[64 * 1024];
    private NetworkStream? _stream;
    private int _start;
    private int _end;

    public async Task ConnectAsync(WriteTarget target, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ConnectTimeout);
        await _tcp.ConnectAsync(target.Host, target.Port, timeout.Token);
        _stream = _tcp.GetStream();
        var auth = await CallAsync(["AUTH", target.User, target.Password], timeout.Token);
        if (auth is not "OK")
            throw new IOException($"AUTH answered '{auth}'.");
    }

    /// <summary>Sends one command as an array of bulk strings; a simple string, integer or bulk reply as text, an array's elements as an object[].</summary>
    public async Task<object?> CallAsync(IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        var stream = _stream ?? throw new InvalidOperationException("Not connected.");
        var request = new StringBuilder().Append('*').Append(command.Count).Append("\r\n");
        foreach (var part in command)
            request.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), cancellationToken);
        return await ReadReplyAsync(cancellationToken);
    }

    private async Task<object?> ReadReplyAsync(CancellationToken cancellationToken)
    {
        var line = await ReadLineAsync(cancellationToken);
        switch (line.Length > 0 ? line[0] : ' ')
        {
            case '+' or ':':
                return line[1..];
            case '-':
                throw new IOException($"Redis answered: {line[1..]}");
            case '$':
                var length = int.Parse(line.AsSpan(1), CultureInfo.InvariantCulture);
                if (length < 0)
                    return null;
                var data = new byte[length + 2];
                for (var i = 0; i < data.Length; i++)
                    data[i] = await ReadByteAsync(cancellationToken);
                return Encoding.UTF8.GetString(data, 0, length);
            case '*':
                var count = int.Parse(line.AsSpan(1), CultureInfo.InvariantCulture);
                var items = new object?[Math.Max(count, 0)];
                for (var i = 0; i < items.Length; i++)
                    items[i] = await ReadReplyAsync(cancellationToken);
                return items;
            default:
                throw new IOException($"Unexpected RESP reply '{line}'.");
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new List<byte>();
        while (true)
        {
            var b = await ReadByteAsync(cancellationToken);
            if (b == '\n' && line.Count > 0 && line[^1] == '\r')
                return Encoding.UTF8.GetString([.. line.Take(line.Count - 1)]);
            line.Add(b);
        }
    }

    private async ValueTask<byte> ReadByteAsync(CancellationToken cancellationToken)
    {
        if (_start == _end)
        {
            _start = 0;
            _end = await _stream!.ReadAsync(_buffer, cancellationToken);
            if (_end == 0)
                throw new IOException("Redis closed the connection.");
        }

        return _buffer[_start++];
    }

    public void Dispose() => _tcp.Dispose();
}
