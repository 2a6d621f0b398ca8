namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>A test that needs the private Swift; skipped, saying why, where it is not installed or HOARD_TEST_NO_SWIFT=1.</summary>
public sealed class SwiftFactAttribute : FactAttribute
{
    public SwiftFactAttribute() => Skip = Hoard.Tests.Shared.SwiftAio.SkipReason;
}
