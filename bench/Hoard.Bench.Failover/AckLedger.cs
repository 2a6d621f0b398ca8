namespace Hoard.Bench.Failover;

/// <summary>
/// Every number acknowledged on one side of one datastore, over all its runs, and those already found missing: each run
/// checks them all again, so a write lost in a later failover counts in the run that lost it.
/// </summary>
internal sealed class AckLedger
{
    public List<long> Acknowledged { get; } = [];

    public HashSet<long> Missing { get; } = [];

    /// <summary>The next run's first number: numbers are never reused, so a late write of an earlier run cannot count as a later one.</summary>
    public long NextNumber { get; set; } = 1;
}
