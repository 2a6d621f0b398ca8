using System.Runtime.ExceptionServices;
using System.Security.Cryptography;

namespace Hoard.Providers.ObjectStorage;

/// <summary>
/// Reads a (non-seekable) source in pieces of bounded length, through one buffer whose unused bytes carry over to the next
/// piece. Remembers a failure of the source itself, so that it can be told apart from a failure of where the bytes went.
/// </summary>
internal sealed class SourceReader(Stream source, byte[] buffer)
{
    private int _offset;
    private int _count;

    public ExceptionDispatchInfo? SourceFailure { get; private set; }

    /// <summary>True when the source has no more bytes (reads ahead into the buffer to find out).</summary>
    public async ValueTask<bool> AtEndAsync(CancellationToken cancellationToken) =>
        _count == 0 && !await FillAsync(cancellationToken);

    /// <summary>Copies up to <paramref name="limit"/> bytes to <paramref name="destination"/>, hashing them; returns how many.</summary>
    public async Task<long> CopyToAsync(Stream destination, long limit, IncrementalHash hash, CancellationToken cancellationToken)
    {
        long copied = 0;
        while (copied < limit && (_count > 0 || await FillAsync(cancellationToken)))
        {
            var n = (int)Math.Min(_count, limit - copied);
            hash.AppendData(buffer, _offset, n);
            await destination.WriteAsync(buffer.AsMemory(_offset, n), cancellationToken);
            _offset += n;
            _count -= n;
            copied += n;
        }

        return copied;
    }

    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        try
        {
            _offset = 0;
            _count = await source.ReadAsync(buffer, cancellationToken);
            return _count > 0;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            SourceFailure = ExceptionDispatchInfo.Capture(e);
            throw;
        }
    }
}
