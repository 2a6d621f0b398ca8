namespace Hoard.Core.Backups;

/// <summary>A transfer in progress, authorised by a redeemed token.</summary>
public sealed class TransferGrant : IDisposable
{
    private readonly CancellationTokenSource _revoked = new();
    private readonly TransferTokens _tokens;

    internal TransferGrant(string owner, TransferTokens tokens)
    {
        Owner = owner;
        _tokens = tokens;
    }

    internal string Owner { get; }

    /// <summary>Cancelled when the operation that issued the token ends (failed, timed out, or was abandoned).</summary>
    public CancellationToken Revoked => _revoked.Token;

    internal void Cancel()
    {
        try
        {
            _revoked.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The transfer ended meanwhile.
        }
    }

    public void Dispose()
    {
        _tokens.End(this);
        _revoked.Dispose();
    }
}
