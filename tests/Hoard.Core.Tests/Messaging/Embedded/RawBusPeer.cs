using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text.Json;
using Hoard.Contracts;
using Hoard.Contracts.Bus;

namespace Hoard.Core.Tests.Messaging.Embedded;

/// <summary>
/// A bus peer speaking the wire format directly (4-byte big-endian length, JSON envelope), so tests can send
/// what the well-behaved <c>EmbeddedBusClient</c> never would.
/// </summary>
internal sealed class RawBusPeer : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;

    private RawBusPeer(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public static async Task<RawBusPeer> ConnectAsync(string socketPath)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
        return new RawBusPeer(socket);
    }

    public Task HelloAsync(string identity, string secret) => SendAsync(new BusEnvelope
    {
        Kind = "hello", Topic = "",
        Args = JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["identity"] = identity, ["secret"] = secret }),
    });

    public async Task SendAsync(BusEnvelope envelope)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(envelope, HoardJson.Default.BusEnvelope);
        var header = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(header, body.Length);
        await _stream.WriteAsync(header);
        await _stream.WriteAsync(body);
    }

    /// <returns>The next envelope, or null once the other side has closed the connection.</returns>
    public async Task<BusEnvelope?> ReceiveAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var header = new byte[4];
        try
        {
            await _stream.ReadExactlyAsync(header, cts.Token);
            var body = new byte[BinaryPrimitives.ReadInt32BigEndian(header)];
            await _stream.ReadExactlyAsync(body, cts.Token);
            return JsonSerializer.Deserialize(body, HoardJson.Default.BusEnvelope);
        }
        catch (EndOfStreamException)
        {
            return null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
    }
}
