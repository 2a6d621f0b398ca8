namespace Hoard.Bench.Failover;

/// <summary>One connection of the writer; any failure throws, and the writer then opens a new one.</summary>
internal interface ISequenceSession : IAsyncDisposable
{
    Task ConnectAsync(CancellationToken cancellationToken);

    /// <summary>Returns once the server acknowledged the write of <paramref name="number"/> (committed, or SET answered OK).</summary>
    Task WriteAsync(long number, CancellationToken cancellationToken);
}
