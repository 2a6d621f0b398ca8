namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>Its own cluster; not in parallel with other collections (processes and the broker are killed, timings matter).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DistributedClusterCollection : ICollectionFixture<DistributedClusterFixture>
{
    public const string Name = "distributed";
}
