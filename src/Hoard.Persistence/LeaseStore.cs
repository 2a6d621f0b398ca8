using Dapper;

namespace Hoard.Persistence;

/// <summary>
/// Named leases in the state DB: at most one process holds a name at a time, for as long as it renews it. Acquiring and
/// renewing are the same conditional upsert, so two processes racing for a free or expired lease cannot both win.
/// </summary>
public sealed class LeaseStore(StateDb db)
{
    /// <summary>
    /// Takes or renews <paramref name="name"/> for <paramref name="owner"/> until <paramref name="expires"/>: true when it was
    /// free, already <paramref name="owner"/>'s, or expired before <paramref name="now"/>.
    /// </summary>
    public async Task<bool> TryAcquireAsync(string name, string owner, DateTimeOffset now, DateTimeOffset expires,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(
            "INSERT INTO leases (name, owner, expires) VALUES (@name, @owner, @expires) " +
            "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires = excluded.expires " +
            "WHERE leases.owner = excluded.owner OR leases.expires < @now",
            new { name, owner, now = Ts.Of(now), expires = Ts.Of(expires) }) == 1;
    }

    /// <summary>Hands the lease back (a clean stop), so that another process need not wait for it to expire.</summary>
    public async Task ReleaseAsync(string name, string owner, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync("DELETE FROM leases WHERE name = @name AND owner = @owner", new { name, owner });
    }

    /// <summary>Who holds <paramref name="name"/> and until when (null when nobody has taken it).</summary>
    public async Task<(string Owner, DateTimeOffset Expires)?> GetAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<LeaseRow>("SELECT owner, expires FROM leases WHERE name = @name", new { name });
        return row is null ? null : (row.Owner, Ts.Parse(row.Expires));
    }

    private sealed class LeaseRow
    {
        public string Owner { get; set; } = "";

        public string Expires { get; set; } = "";
    }
}
