using System.Diagnostics;

namespace Hoard.Core.Tests;

/// <summary>Waiting for something without sleeping a fixed time: poll it, and say what never happened.</summary>
internal static class Poll
{
    public static async Task UntilAsync(Func<Task<bool>> condition, string failure, double seconds = 10)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(seconds))
            {
                Assert.Fail($"{failure} within {seconds} s.");
            }

            await Task.Delay(10);
        }
    }

    public static Task UntilAsync(Func<bool> condition, string failure, double seconds = 10) =>
        UntilAsync(() => Task.FromResult(condition()), failure, seconds);

    /// <summary>Awaits a task that must finish within <paramref name="seconds"/>, failing with <paramref name="failure"/> otherwise.</summary>
    public static async Task<T> WithinAsync<T>(Task<T> task, string failure, double seconds = 10)
    {
        var finished = await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(seconds)));
        return finished == task ? await task : throw new Xunit.Sdk.XunitException($"{failure} within {seconds} s.");
    }
}
