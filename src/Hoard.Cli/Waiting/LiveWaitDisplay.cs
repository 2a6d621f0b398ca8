using Spectre.Console;

namespace Hoard.Cli.Waiting;

/// <summary>On a terminal: a spinner while the operation runs, and each status transition printed above it as it happens.</summary>
internal sealed class LiveWaitDisplay(IAnsiConsole console) : IWaitDisplay
{
    public Task<T> RunAsync<T>(string title, Func<Action<string>, Task<T>> work) =>
        console.Status().Spinner(Spinner.Known.Dots).StartAsync(Markup.Escape(title), _ => work(console.WriteLine));
}
