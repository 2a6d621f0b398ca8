using System.Globalization;
using System.Text.Json.Nodes;

namespace Hoard.Cli.Waiting;

/// <summary>
/// Polls a resource until its operation is over, reporting each status it passes through. A failure ends the wait
/// with exit 1 and the resource's fault; the deadline with exit 5.
/// </summary>
internal sealed class StatusWaiter(IWaitDisplay display, TimeProvider time)
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    /// <param name="fetch">The resource now, or null once it is gone.</param>
    public Task<JsonObject?> WaitAsync(string what, Func<CancellationToken, Task<JsonObject?>> fetch, Func<JsonObject?, WaitState> judge,
        TimeSpan timeout, CancellationToken cancellationToken) =>
        display.RunAsync($"Waiting for {what}", async report =>
        {
            var started = time.GetTimestamp();
            string? shown = null;
            while (true)
            {
                var current = await fetch(cancellationToken);
                var state = judge(current);
                var elapsed = time.GetElapsedTime(started);
                if (state.Label != shown)
                {
                    report(string.Create(CultureInfo.InvariantCulture, $"[{elapsed.TotalSeconds,6:0.0}s] {what}: {state.Label}"));
                    shown = state.Label;
                }

                switch (state.Outcome)
                {
                    case WaitOutcome.Done:
                        return current;
                    case WaitOutcome.Failed:
                        throw new CliException($"{what} is {state.Label}: {state.Failure}");
                }

                if (elapsed > timeout)
                {
                    throw new CliException($"Gave up waiting for {what} after {timeout.TotalSeconds:0} s; it is still {state.Label}.", ExitCodes.TimedOut);
                }

                await Task.Delay(PollInterval, time, cancellationToken);
            }
        });
}
