using System.Diagnostics;
using System.IO.Pipelines;
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
/// <remarks>
/// The producer writes into a bounded pipe that another task compresses and sends from, so that the tool and zstd run
/// at once, as in <c>tool | zstd</c>; without it the tool stalled on its full 64 KB stdout pipe whenever a chunk was being
/// compressed. The zstd CLI compresses when it is installed: on a 1.1 GB mariadb-backup stream at level 1 ZstdSharp took
/// 1.5 times its CPU time once warm and 2.3 times in its first run (JIT), and the CPU is what a backup is short of. The
/// CLI compresses on as many threads as the instance has CPUs.
/// </remarks>
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

    /// <summary>The zstd CLI to compress with; null compresses in-process (ZstdSharp).</summary>
    public string? ZstdCli { get; init; }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var network = new TransferStream(stream, canRead: false);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: BackupTransfers.PipeLimit,
            resumeWriterThreshold: BackupTransfers.PipeLimit / 2, minimumSegmentSize: 256 << 10, useSynchronizationContext: false));
        var input = new TransferStream(pipe.Writer.AsStream(leaveOpen: true), canRead: false);
        var compressing = Task.Run(async () =>
        {
            try
            {
                // The frame is ended only when the pipe completes without an exception: when the producer succeeded.
                await (ZstdCli is { } cli
                    ? CompressWithCliAsync(cli, pipe.Reader, network, stop.Token)
                    : CompressInProcessAsync(pipe.Reader, network, stop.Token));
                await pipe.Reader.CompleteAsync();
            }
            catch (Exception e)
            {
                await pipe.Reader.CompleteAsync(e);
                await stop.CancelAsync();
                throw;
            }
        }, CancellationToken.None);

        try
        {
            await produce(input, stop.Token);
            await pipe.Writer.CompleteAsync();
            await compressing;
        }
        catch (Exception e)
        {
            // Nothing more reaches the wire, so the frame is never ended; then the other side is stopped too.
            network.Sever();
            await stop.CancelAsync();
            await pipe.Writer.CompleteAsync(e);
            Exception? sending = null;
            try
            {
                await compressing;
            }
            catch (Exception c)
            {
                sending = c;
            }

            ConnectionFailure = network.Failure;
            if (cancellationToken.IsCancellationRequested)
                throw;
            network.Failure?.Throw();
            // The producer's own failure; or, when it was only stopped, the compressor's (zstd's).
            var failure = e is OperationCanceledException && sending is not null and not OperationCanceledException ? sending : e;
            if (failure is OperationCanceledException)
                throw;
            ProducerFailure = ExceptionDispatchInfo.Capture(failure);
            ProducerFailure.Throw();
        }

        ToolBytes = input.Bytes;
        Completed = true;
    }

    private async Task CompressInProcessAsync(PipeReader source, TransferStream network, CancellationToken cancellationToken)
    {
        var zstd = new CompressionStream(network, compressionLevel, bufferSize, leaveOpen: true);
        zstd.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
        try
        {
            await PumpAsync(source, zstd, cancellationToken);
        }
        catch (Exception)
        {
            // Disposing writes the frame's end: it must not reach the wire after a failure.
            network.Sever();
            try
            {
                await zstd.DisposeAsync();
            }
            catch (Exception)
            {
                // Only its buffers are released here.
            }

            throw;
        }

        // Writes the frame's end and its checksum.
        await zstd.DisposeAsync();
    }

    private async Task CompressWithCliAsync(string cli, PipeReader source, TransferStream network, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(cli)
        {
            ArgumentList = { $"-{compressionLevel}", "--check", "-q", "-c" },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        };
        // One compressing thread is what a backup waits on; with more CPUs than one, zstd splits the stream into jobs over
        // as many threads (the output stays one standard frame). ProcessorCount honours the instance's CPU quota.
        if (Environment.ProcessorCount > 1)
        {
            startInfo.ArgumentList.Add($"-T{Environment.ProcessorCount}");
        }

        var zstd = ToolProcess.Start("zstd", startInfo, []);
        var sending = zstd.StandardOutput.CopyToAsync(network, bufferSize, cancellationToken);
        try
        {
            await PumpAsync(source, zstd.StandardInput, cancellationToken);
            // End of input: zstd writes the frame's end and its checksum, and exits.
            zstd.StandardInput.Close();
            await sending;
            await zstd.WaitForSuccessAsync(cancellationToken);
        }
        catch (Exception)
        {
            // zstd must not end the frame on the wire after a failure; disposing kills it.
            network.Sever();
            throw;
        }
        finally
        {
            try
            {
                await zstd.DisposeAsync();
                await sending;
            }
            catch (Exception)
            {
                // The failure that matters is the one thrown above.
            }
        }
    }

    private static async Task PumpAsync(PipeReader source, Stream destination, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await source.ReadAsync(cancellationToken);
            foreach (var segment in result.Buffer)
                await destination.WriteAsync(segment, cancellationToken);
            source.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
                return;
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
