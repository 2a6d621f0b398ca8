namespace Hoard.Bench.Provisioning;

/// <summary>The figures of one datastore in one bench run.</summary>
internal sealed class DatastoreResult(DatastoreSpec datastore)
{
    public DatastoreSpec Datastore => datastore;

    public List<BaselineRun> Baseline { get; } = [];

    public List<HoardRun> Hoard { get; } = [];

    public List<InstanceMemory> Instances { get; } = [];

    public List<string> Timelines { get; } = [];

    /// <summary>Machine load when this datastore's runs began.</summary>
    public string? LoadAtStart { get; set; }

    /// <summary>hoard-server with this datastore's instances running (the earlier datastores' are deleted by then).</summary>
    public MemoryUse? HoardServer { get; set; }
}
