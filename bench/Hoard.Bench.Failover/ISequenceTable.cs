namespace Hoard.Bench.Failover;

/// <summary>
/// What the writer fills: one row (Redis: one key) per sequence number, written one at a time, each acknowledged once
/// the client got its success.
/// </summary>
internal interface ISequenceTable
{
    /// <summary>How one write is made, for the report.</summary>
    string WriteDescription { get; }

    /// <summary>Creates the table if it is missing (Redis: nothing to do).</summary>
    Task CreateAsync(CancellationToken cancellationToken);

    /// <summary>A new connection, not yet open.</summary>
    ISequenceSession NewSession();

    /// <summary>The numbers of <paramref name="acknowledged"/> that the server does not hold now.</summary>
    Task<IReadOnlyList<long>> MissingAsync(IReadOnlyCollection<long> acknowledged, CancellationToken cancellationToken);
}
