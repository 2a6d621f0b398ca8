using System.Diagnostics;

namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>Waiting for something without sleeping a fixed time: poll it, and say what never happened.</summary>
internal static class Poll
{
    /// <param name="failure">What never happened; <paramref name="state"/> (if given) adds what was last seen.</param>
    public static async Task UntilAsync(Func<Task<bool>> condition, string failure, double seconds, Func<string>? state = null,
        int intervalMs = 250)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(seconds))
            {
                Assert.Fail($"{failure} within {seconds} s." + (state is null ? "" : " Last seen: " + state()));
            }

            await Task.Delay(intervalMs);
        }
    }
}
