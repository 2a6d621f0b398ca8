namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>A test on the distributed cluster; skipped, saying why, where one of its parts cannot run here.</summary>
public sealed class DistributedClusterFactAttribute : FactAttribute
{
    public DistributedClusterFactAttribute() => Skip = DistributedClusterFixture.SkipReason;
}
