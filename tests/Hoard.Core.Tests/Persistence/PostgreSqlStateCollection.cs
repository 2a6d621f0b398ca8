using Hoard.Tests.Shared;

namespace Hoard.Core.Tests.Persistence;

/// <summary>The store tests that run on PostgreSQL share one private server; each test has a database of its own.</summary>
[CollectionDefinition(Name)]
public sealed class PostgreSqlStateCollection : ICollectionFixture<PostgreSqlStateServer>
{
    public const string Name = "postgresql state db";
}
