namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>A test that needs the private Keystone; skipped, saying why, where it is not installed or HOARD_TEST_NO_KEYSTONE=1.</summary>
public sealed class KeystoneFactAttribute : FactAttribute
{
    public KeystoneFactAttribute() => Skip = KeystoneServer.SkipReason;
}
