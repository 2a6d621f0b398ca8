using Hoard.Server.Dashboard.Api;
using Microsoft.AspNetCore.Components;

namespace Hoard.Server.Dashboard.Shared;

/// <summary>
/// A component that calls the API. A refused call's message (the API's fault) is kept for display in <see cref="Error"/>:
/// a failed action's until the next action, a failed read's until a read succeeds, so that a periodic reload does not hide
/// why an action was refused.
/// </summary>
public abstract class ApiComponent : ComponentBase
{
    private string? _readError;
    private string? _actionError;

    [Inject]
    internal HoardApi Api { get; set; } = null!;

    protected string? Error => _actionError ?? _readError;

    /// <summary>Whether events reach the component: its buttons stay disabled while it is only prerendered.</summary>
    protected bool Ready => RendererInfo.IsInteractive;

    /// <summary>Reads what the component shows.</summary>
    protected async Task ReadAsync(Func<Task> read) => _readError = await FaultOfAsync(read);

    /// <summary>Runs a user's action; false when the API refused it.</summary>
    protected async Task<bool> ActAsync(Func<Task> action) => (_actionError = await FaultOfAsync(action)) is null;

    private static async Task<string?> FaultOfAsync(Func<Task> call)
    {
        try
        {
            await call();
            return null;
        }
        catch (ApiError e)
        {
            return e.Message;
        }
    }
}
