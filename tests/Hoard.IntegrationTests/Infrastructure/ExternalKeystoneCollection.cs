namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>
/// The tests of a hoard-server that validates tokens against a real Keystone. Not in parallel with the other collections:
/// Keystone, its uwsgi and another server would slow their timing-sensitive tests on a small machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ExternalKeystoneCollection : ICollectionFixture<ExternalKeystoneFixture>
{
    public const string Name = "external-keystone";
}
