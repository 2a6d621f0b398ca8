using System.Diagnostics;

namespace Hoard.Guest.Tests;

/// <summary>Waiting for something without sleeping a fixed time: poll it, and say what never happened.</summary>
internal static class Poll
{
    public static async Task UntilAsync(Func<Task<bool>> condition, string failure, double seconds = 30)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(seconds))
                Assert.Fail($"{failure} within {seconds} s.");
            await Task.Delay(20);
        }
    }

    public static Task UntilAsync(Func<bool> condition, string failure, double seconds = 30) =>
        UntilAsync(() => Task.FromResult(condition()), failure, seconds);
}
