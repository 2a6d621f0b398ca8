using System.Net;
using System.Runtime.ExceptionServices;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace Hoard.Guest.Backups;

/// <summary>
/// The body of a backup upload: whatever the producer writes, zstd-compressed (with the frame checksum, so a restore
/// can tell a damaged stream from a whole one) as it is written. Its length is unknown, so it goes out chunked. If the
/// producer fails, the frame is never finished and the request is never ended: hoard-server sees a broken upload and
/// keeps nothing.
/// </summary>
internal sealed class ToolOutputContent(Func<Stream, CancellationToken, Task> produce, int compressionLevel, int bufferSize) : HttpContent
{
    /// <summary>Bytes the producer wrote, before compression; set once the body has been sent whole.</summary>
    public long ToolBytes { get; private set; }

    /// <summary>True once the producer finished and the compressed stream was ended.</summary>
    public bool Completed { get; private set; }

    /// <summary>The producer's own failure (the tool's), as opposed to the connection's.</summary>
    public ExceptionDispatchInfo? ProducerFailure { get; private set; }

    /// <summary>The connection's failure while the body was being sent, if any.</summary>
    public ExceptionDispatchInfo? ConnectionFailure { get; private set; }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var network = new TransferStream(stream, canRead: false);
        var zstd = new CompressionStream(network, compressionLevel, bufferSize, leaveOpen: true);
        zstd.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
        var input = new TransferStream(zstd, canRead: false);
        try
        {
            await produce(input, cancellationToken);
            // Writes the frame's end and its checksum: only a producer that succeeded gets a complete stream.
            await zstd.DisposeAsync();
        }
        catch (Exception e)
        {
            ConnectionFailure = network.Failure;
            if (network.Failure is null && e is not OperationCanceledException)
                ProducerFailure = ExceptionDispatchInfo.Capture(e);
            network.Sever();
            try
            {
                await zstd.DisposeAsync();
            }
            catch (Exception)
            {
                // Only its buffers are released here; nothing more reaches the wire.
            }

            throw;
        }

        ToolBytes = input.Bytes;
        Completed = true;
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
