namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>The tests of hoard-server split into role processes; not in parallel with others (five servers, a broker, guests).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HoardClusterCollection : ICollectionFixture<HoardClusterFixture>
{
    public const string Name = "roles";
}
