namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>Its own server, hosts and broker; not in parallel with other collections (a host is killed, timings matter).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HostsClusterCollection : ICollectionFixture<HostsClusterFixture>
{
    public const string Name = "hosts";
}
