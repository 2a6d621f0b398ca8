namespace Hoard.Bench.Failover;

/// <summary>What one datastore's part of the run measured.</summary>
internal sealed class DatastoreFigures(FailoverDatastore datastore)
{
    public FailoverDatastore Datastore => datastore;

    public string? LoadAtStart { get; set; }

    public string? LoadAtEnd { get; set; }

    public string? WriteDescription { get; set; }

    public string? BaselineRecipe { get; set; }

    public List<WriteOutage> ByHand { get; } = [];

    public List<HoardRun> Hoard { get; } = [];

    /// <summary>Why the datastore's runs stopped early, with what the instances, events and guest logs said.</summary>
    public string? Failure { get; set; }
}
