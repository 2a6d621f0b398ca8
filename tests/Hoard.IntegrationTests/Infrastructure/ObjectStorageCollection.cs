namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>
/// The tests of backups kept in Swift and S3, with their own servers. Not in parallel with the main collection: two more
/// servers and their instances would slow its timing-sensitive tests on a small machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ObjectStorageCollection : ICollectionFixture<ObjectStorageFixture>
{
    public const string Name = "object-storage";
}
