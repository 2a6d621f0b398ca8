namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>
/// The tests of a hoard-server on a PostgreSQL state DB. Not in parallel with the main collection: another server, a
/// database server and their instances would slow its timing-sensitive tests on a small machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PostgreSqlStateDbCollection : ICollectionFixture<PostgreSqlStateDbFixture>
{
    public const string Name = "postgresql state db";
}
