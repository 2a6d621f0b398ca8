using System.Net;
using System.Security.Cryptography;

namespace Hoard.Providers.ObjectStorage.Swift;

/// <summary>
/// The body of one segment's PUT: the next <c>limit</c> bytes of the source, sent chunked (their number is unknown until
/// the source says), their MD5 computed on the way to check against the ETag Swift answers with.
/// </summary>
internal sealed class SegmentContent(SourceReader reader, long limit) : HttpContent
{
    // MD5 because Swift's ETag is MD5: an integrity check of what arrived, not a security measure.
#pragma warning disable CA5351
    private readonly IncrementalHash _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
#pragma warning restore CA5351

    public SourceReader Reader => reader;

    /// <summary>Whether any of the source was consumed: after that, the request cannot be repeated.</summary>
    public bool Started { get; private set; }

    public long Length { get; private set; }

    public string? Md5Hex { get; private set; }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        if (Started)
        {
            throw new InvalidOperationException("A segment's bytes can be sent only once.");
        }

        Started = true;
        Length = await reader.CopyToAsync(stream, limit, _md5, cancellationToken);
        Md5Hex = Convert.ToHexStringLower(_md5.GetHashAndReset());
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _md5.Dispose();
        }

        base.Dispose(disposing);
    }
}
