namespace Hoard.Core.Tests.ObjectStorage;

/// <summary>A test against the private Swift; skipped, saying why, where Swift is not installed or HOARD_TEST_NO_SWIFT=1.</summary>
public sealed class SwiftFactAttribute : FactAttribute
{
    public SwiftFactAttribute() => Skip = SwiftFixture.SkipReason;
}

/// <inheritdoc cref="SwiftFactAttribute"/>
public sealed class SwiftTheoryAttribute : TheoryAttribute
{
    public SwiftTheoryAttribute() => Skip = SwiftFixture.SkipReason;
}
