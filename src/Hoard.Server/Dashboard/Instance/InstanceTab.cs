using Hoard.Server.Dashboard.Api;
using Hoard.Server.Dashboard.Shared;
using Microsoft.AspNetCore.Components;

namespace Hoard.Server.Dashboard.Instance;

/// <summary>
/// One tab of an instance's page. The page passes the instance as last read and a <see cref="Tick"/> that changes on every
/// refresh, so the open tab reloads what it shows as often as the page does.
/// </summary>
public abstract class InstanceTab : ApiComponent
{
    [Parameter, EditorRequired]
    public InstanceView Instance { get; set; } = null!;

    [Parameter]
    public long Tick { get; set; }

    /// <summary>The API path of something under this instance: <c>instances/{id}/{relative}</c>.</summary>
    protected string PathOf(string relative) => $"instances/{Instance.Id}/{relative}";

    protected abstract Task LoadAsync();

    protected override Task OnParametersSetAsync() => LoadAsync();

    /// <summary>Runs a change, then reloads the tab; the change's fault, if any, stays shown.</summary>
    protected async Task ChangeAsync(Func<Task> change)
    {
        if (await ActAsync(change))
        {
            await LoadAsync();
        }
    }
}
