namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>A test that needs simulated hosts; skipped, saying why, where they cannot run.</summary>
public sealed class HostsFactAttribute : FactAttribute
{
    public HostsFactAttribute() => Skip = HostsClusterFixture.SkipReason;
}
