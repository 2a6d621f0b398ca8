namespace Hoard.Cli.Waiting;

/// <summary>One line per transition on standard error, for logs and pipes, where a spinner would be noise.</summary>
internal sealed class PlainWaitDisplay(TextWriter error) : IWaitDisplay
{
    public Task<T> RunAsync<T>(string title, Func<Action<string>, Task<T>> work) => work(error.WriteLine);
}
