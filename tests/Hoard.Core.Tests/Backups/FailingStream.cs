namespace Hoard.Core.Tests.Backups;

/// <summary>Yields some bytes, then fails as a broken upload does.</summary>
internal sealed class FailingStream(int failAfter) : Stream
{
    private int _given;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _given; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_given >= failAfter)
        {
            throw new IOException("The connection was reset.");
        }

        var n = Math.Min(count, failAfter - _given);
        buffer.AsSpan(offset, n).Fill(7);
        _given += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
