using System.Buffers.Binary;
using System.Net.Sockets;
using System.Threading.Channels;
using System.Text.Json;
using Hoard.Contracts;
using Hoard.Contracts.Bus;

namespace Hoard.Messaging.Embedded;

/// <summary>Length-prefixed (4-byte big-endian) JSON envelopes over a stream socket.</summary>
internal static class FrameCodec
{
    public const int MaxFrameBytes = 16 * 1024 * 1024;

    public static async Task WriteAsync(Stream stream, BusEnvelope envelope, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(envelope, HoardJson.Default.BusEnvelope);
        var frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, body.Length);
        body.CopyTo(frame, 4);
        await stream.WriteAsync(frame, cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    /// <summary>
    /// Writes queued envelopes in order until the queue completes. A message leaves the queue only once written,
    /// so whatever a broken connection did not carry is still there for the next one. When the connection breaks
    /// or <paramref name="cancellationToken"/> fires, <paramref name="socket"/> is closed so the reader stops too.
    /// </summary>
    public static async Task PumpAsync(ChannelReader<BusEnvelope> queue, Stream stream, Socket socket, CancellationToken cancellationToken)
    {
        try
        {
            while (await queue.WaitToReadAsync(cancellationToken))
            {
                while (queue.TryPeek(out var message))
                {
                    await WriteAsync(stream, message, cancellationToken);
                    queue.TryRead(out _);
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            socket.Dispose();
        }
    }

    /// <returns>The next envelope, or null when the peer closed the connection.</returns>
    public static async Task<BusEnvelope?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[4];
        if (!await ReadExactlyOrEofAsync(stream, header, cancellationToken))
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length is <= 0 or > MaxFrameBytes)
        {
            throw new InvalidDataException($"Bus frame of {length} bytes refused.");
        }

        var body = new byte[length];
        if (!await ReadExactlyOrEofAsync(stream, body, cancellationToken))
        {
            return null;
        }

        return JsonSerializer.Deserialize(body, HoardJson.Default.BusEnvelope);
    }

    private static async Task<bool> ReadExactlyOrEofAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }
}
