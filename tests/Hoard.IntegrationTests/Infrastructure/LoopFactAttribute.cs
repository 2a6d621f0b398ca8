namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>
/// A test that needs root and working loop devices. It runs, and fails saying why, where they are missing;
/// only <c>HOARD_TEST_NO_LOOP=1</c> turns it into a skip, so a machine without them never passes silently.
/// </summary>
public sealed class LoopFactAttribute : FactAttribute
{
    public LoopFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("HOARD_TEST_NO_LOOP") == "1")
        {
            Skip = "HOARD_TEST_NO_LOOP=1: loop-mounted volumes are not tested on this machine.";
        }
    }
}
