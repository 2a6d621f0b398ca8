using System.Runtime.ExceptionServices;

namespace Hoard.Guest.Backups;

/// <summary>
/// One direction of a backup's data between a tool and the wire: counts the bytes that pass and remembers the first
/// failure of the inner stream, so that when a tool then fails too (it was fed half a stream, or its output had
/// nowhere to go) the caller can tell which side broke first.
/// </summary>
internal sealed class TransferStream(Stream inner, bool canRead) : Stream
{
    private bool _severed;

    public long Bytes { get; private set; }

    /// <summary>The first exception the inner stream threw, if any.</summary>
    public ExceptionDispatchInfo? Failure { get; private set; }

    public override bool CanRead => canRead;

    public override bool CanWrite => !canRead;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => Bytes;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int read;
        try
        {
            read = inner.Read(buffer);
        }
        catch (Exception e) when (Remember(e, CancellationToken.None))
        {
            throw;
        }

        Bytes += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read;
        try
        {
            read = await inner.ReadAsync(buffer, cancellationToken);
        }
        catch (Exception e) when (Remember(e, cancellationToken))
        {
            throw;
        }

        Bytes += read;
        return read;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_severed)
            return;
        try
        {
            inner.Write(buffer);
        }
        catch (Exception e) when (Remember(e, CancellationToken.None))
        {
            throw;
        }

        Bytes += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_severed)
            return;
        try
        {
            await inner.WriteAsync(buffer, cancellationToken);
        }
        catch (Exception e) when (Remember(e, cancellationToken))
        {
            throw;
        }

        Bytes += buffer.Length;
    }

    public override void Flush()
    {
        if (_severed)
            return;
        try
        {
            inner.Flush();
        }
        catch (Exception e) when (Remember(e, CancellationToken.None))
        {
            throw;
        }
    }

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_severed)
            return;
        try
        {
            await inner.FlushAsync(cancellationToken);
        }
        catch (Exception e) when (Remember(e, cancellationToken))
        {
            throw;
        }
    }

    /// <summary>After a failure: later writes are dropped, so whatever is disposed above this stream cannot complete its output.</summary>
    public void Sever() => _severed = true;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Never catches: records the failure on the way through (a cancellation is not the stream's fault).</summary>
    private bool Remember(Exception e, CancellationToken cancellationToken)
    {
        if (Failure is null && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
            Failure = ExceptionDispatchInfo.Capture(e);
        return false;
    }
}
