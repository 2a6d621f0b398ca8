using System.Security.Cryptography;

namespace Hoard.Core.Tests.ObjectStorage;

/// <summary>
/// A non-seekable stream of <c>length</c> pseudo-random bytes (as a pipe from a guest is), handed out in uneven pieces and
/// hashed on the way; optionally failing after <c>failAfter</c> bytes as a broken upload does.
/// </summary>
internal sealed class RandomSource(long length, int seed = 1, long failAfter = -1) : Stream
{
    private readonly Random _random = new(seed);
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _given;
    private byte[]? _hash;

    public byte[] Sha256 => _hash ?? throw new InvalidOperationException("The stream was not read to its end.");

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _given; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (failAfter >= 0 && _given >= failAfter)
        {
            throw new IOException("The connection was reset.");
        }

        var limit = failAfter >= 0 ? Math.Min(length, failAfter) : length;
        // Uneven pieces, never more than 100 kB: what a network read gives.
        var n = (int)Math.Min(Math.Min(buffer.Length, limit - _given), 1 + _random.Next(100_000));
        if (n <= 0)
        {
            _hash ??= _sha.GetHashAndReset();
            return 0;
        }

        _random.NextBytes(buffer[..n]);
        _sha.AppendData(buffer[..n]);
        _given += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer, offset, count));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _sha.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>The SHA-256 of a stream read to its end.</summary>
    public static async Task<(byte[] Sha256, long Length)> HashAsync(Stream stream)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0)
        {
            sha.AppendData(buffer, 0, n);
            total += n;
        }

        return (sha.GetHashAndReset(), total);
    }
}
