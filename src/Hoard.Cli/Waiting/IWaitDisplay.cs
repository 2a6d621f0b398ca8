namespace Hoard.Cli.Waiting;

/// <summary>Shows a wait as it goes: <c>work</c> reports each status transition through the callback it is given.</summary>
internal interface IWaitDisplay
{
    Task<T> RunAsync<T>(string title, Func<Action<string>, Task<T>> work);
}
