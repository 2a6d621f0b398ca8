using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.DashboardTests.Infrastructure;

/// <summary>The dashboard tests share one real hoard-server and one browser, and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<HoardServerFixture>, ICollectionFixture<BrowserFixture>
{
    public const string Name = "dashboard";
}
