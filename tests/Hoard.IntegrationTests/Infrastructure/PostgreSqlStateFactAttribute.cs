namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>A test that needs the private PostgreSQL; skipped, saying why, where it is not installed or HOARD_TEST_NO_POSTGRESQL=1.</summary>
public sealed class PostgreSqlStateFactAttribute : FactAttribute
{
    public PostgreSqlStateFactAttribute() => Skip = Hoard.Tests.Shared.PostgreSqlStateServer.SkipReason;
}
