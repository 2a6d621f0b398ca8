using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Hoard.Bench.Provisioning;

/// <summary>
/// A measurement probe only, not a Redis client: just enough RESP2 over a <see cref="TcpClient"/> for AUTH, SET and
/// GET. The package mirror has no Redis client (StackExchange.Redis does not restore), and Hoard's own, hiredis bound
/// with P/Invoke, is internal to Hoard.Guest; a probe that measures Hoard should not reach into Hoard anyway.
/// </summary>
internal static class RespProbe
{
    private const string Key = "hoard-bench";

    /// <summary>Connect, <c>AUTH user password</c>, <c>SET</c> a random value, <c>GET</c> it back: null when all answered as expected, else why not.</summary>
    public static async Task<string?> TryAuthSetGetAsync(string address, int port, string user, string password, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            using var tcp = new TcpClient { NoDelay = true };
            await tcp.ConnectAsync(address, port, timeout.Token);
            var stream = tcp.GetStream();
            var reader = new Reader(stream);
            var value = RandomNumberGenerator.GetHexString(16);
            Expect("AUTH", await CallAsync(stream, reader, ["AUTH", user, password], timeout.Token), "OK");
            Expect("SET", await CallAsync(stream, reader, ["SET", Key, value], timeout.Token), "OK");
            Expect("GET", await CallAsync(stream, reader, ["GET", Key], timeout.Token), value);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return "no answer within 5 s";
        }
        catch (Exception e) when (e is SocketException or IOException or InvalidDataException)
        {
            return e.Message;
        }
    }

    private static void Expect(string command, string? reply, string expected)
    {
        if (reply != expected)
            throw new InvalidDataException($"{command} answered '{reply ?? "(nil)"}'.");
    }

    /// <summary>Sends one command as a RESP array of bulk strings and reads its reply (simple string, integer or bulk string).</summary>
    private static async Task<string?> CallAsync(NetworkStream stream, Reader reader, string[] command, CancellationToken cancellationToken)
    {
        var request = new StringBuilder().Append('*').Append(command.Length).Append("\r\n");
        foreach (var part in command)
            request.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), cancellationToken);

        var line = await reader.ReadLineAsync(cancellationToken);
        switch (line.Length > 0 ? line[0] : ' ')
        {
            case '+' or ':':
                return line[1..];
            case '-':
                // Error replies (WRONGPASS, NOAUTH, LOADING, ...) name the problem, never the password.
                throw new InvalidDataException(line[1..]);
            case '$':
                var length = int.Parse(line.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
                return length < 0 ? null : Encoding.UTF8.GetString(await reader.ReadExactlyAsync(length, cancellationToken));
            default:
                throw new InvalidDataException($"Unexpected RESP reply '{line}'.");
        }
    }

    private sealed class Reader(NetworkStream stream)
    {
        private readonly byte[] _buffer = new byte[4096];
        private int _start;
        private int _end;

        public async Task<string> ReadLineAsync(CancellationToken cancellationToken)
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

        /// <summary>A bulk string's payload and its trailing CRLF.</summary>
        public async Task<byte[]> ReadExactlyAsync(int length, CancellationToken cancellationToken)
        {
            var data = new byte[length + 2];
            for (var i = 0; i < data.Length; i++)
                data[i] = await ReadByteAsync(cancellationToken);
            return data[..length];
        }

        private async ValueTask<byte> ReadByteAsync(CancellationToken cancellationToken)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = await stream.ReadAsync(_buffer, cancellationToken);
                if (_end == 0)
                    throw new IOException("Redis closed the connection.");
            }

            return _buffer[_start++];
        }
    }
}
