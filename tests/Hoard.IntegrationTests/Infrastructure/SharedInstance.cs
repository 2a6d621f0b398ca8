namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>The instance the fixture keeps ACTIVE for tests that only read (database shop, user app).</summary>
/// <param name="Ip">Where its MariaDB listens (port 3306).</param>
public sealed record SharedInstance(string Id, string Ip)
{
    public const string AppPassword = "Shared-App-1";
}
