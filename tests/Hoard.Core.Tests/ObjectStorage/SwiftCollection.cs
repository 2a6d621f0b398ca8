namespace Hoard.Core.Tests.ObjectStorage;

/// <summary>The tests that share one private Swift (and its s3api).</summary>
[CollectionDefinition(Name)]
public sealed class SwiftCollection : ICollectionFixture<SwiftFixture>
{
    public const string Name = "Swift";
}
