namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>All integration tests share one server and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class HoardServerCollection : ICollectionFixture<HoardServerFixture>
{
    public const string Name = "hoard-server";
}
