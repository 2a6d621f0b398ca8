namespace Hoard.Core.Tests.Providers;

/// <summary>
/// A test that needs root and writable cgroups (v2 memory and cpu controllers, or v1 memory and cpu). It runs, and
/// fails saying why, where they are missing; only <c>HOARD_TEST_NO_CGROUPS=1</c> turns it into a skip.
/// </summary>
public sealed class CgroupFactAttribute : FactAttribute
{
    public CgroupFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("HOARD_TEST_NO_CGROUPS") == "1")
        {
            Skip = "HOARD_TEST_NO_CGROUPS=1: flavor limits through cgroups are not tested on this machine.";
        }
    }
}
