using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Hoard.Core.Backups;

/// <summary>
/// One-time secrets that let a guest move one backup's data in one direction until a deadline, and nothing else. Only
/// their SHA-256 is kept, in memory: a server restart invalidates them all, as it ends the operations they belong to.
/// </summary>
public sealed class TransferTokens(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Grant> _unused = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<TransferGrant, byte> _active = new();

    /// <summary>A new token for <paramref name="backupId"/> in <paramref name="direction"/>, valid once, until <paramref name="expires"/>.</summary>
    /// <param name="owner">The operation the token belongs to (a workflow id): <see cref="Revoke"/> ends all of its transfers.</param>
    public string Issue(string backupId, TransferDirection direction, string owner, DateTimeOffset expires)
    {
        RemoveExpired();
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        _unused[Hash(token)] = new Grant(backupId, direction, owner, expires);
        return token;
    }

    /// <summary>
    /// Uses up <paramref name="token"/> if it was issued for this backup and direction and has not expired; null otherwise.
    /// The grant's <see cref="TransferGrant.Revoked"/> fires when its owner revokes it; dispose it when the transfer ends.
    /// </summary>
    public TransferGrant? Redeem(string backupId, TransferDirection direction, string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        var hash = Hash(token);
        if (!_unused.TryGetValue(hash, out var grant) || grant.BackupId != backupId || grant.Direction != direction)
        {
            return null; // Left in place: a token shown for the wrong backup is not used up by that.
        }

        if (grant.Expires <= time.GetUtcNow())
        {
            _unused.TryRemove(hash, out _);
            return null;
        }

        if (!_unused.TryRemove(KeyValuePair.Create(hash, grant)))
        {
            return null; // Redeemed concurrently: only one of the two may transfer.
        }

        var active = new TransferGrant(grant.Owner, this);
        _active[active] = 0;
        return active;
    }

    /// <summary>Ends <paramref name="owner"/>'s unused tokens and cancels its transfers in progress.</summary>
    public void Revoke(string owner)
    {
        foreach (var (hash, grant) in _unused)
        {
            if (grant.Owner == owner)
            {
                _unused.TryRemove(hash, out _);
            }
        }

        foreach (var active in _active.Keys.Where(a => a.Owner == owner))
        {
            active.Cancel();
        }
    }

    /// <summary>How many tokens are issued and not yet used or expired (for tests).</summary>
    public int Outstanding
    {
        get
        {
            RemoveExpired();
            return _unused.Count;
        }
    }

    internal void End(TransferGrant grant) => _active.TryRemove(grant, out _);

    private void RemoveExpired()
    {
        var now = time.GetUtcNow();
        foreach (var (hash, grant) in _unused)
        {
            if (grant.Expires <= now)
            {
                _unused.TryRemove(hash, out _);
            }
        }
    }

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private sealed record Grant(string BackupId, TransferDirection Direction, string Owner, DateTimeOffset Expires);
}
