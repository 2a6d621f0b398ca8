namespace Hoard.Server.Dashboard.Shared;

/// <summary>
/// A page that stays current while it is open in an interactive circuit: <see cref="RefreshAsync"/> runs on load and then
/// every <see cref="Interval"/>, until the page is left.
/// </summary>
public abstract class LivePage : ApiComponent, IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private readonly CancellationTokenSource _closed = new();

    protected CancellationToken Closed => _closed.Token;

    protected abstract Task RefreshAsync();

    protected override Task OnInitializedAsync() => RefreshAsync();

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender && RendererInfo.IsInteractive)
        {
            _ = PollAsync();
        }
    }

    private async Task PollAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_closed.Token))
            {
                await InvokeAsync(async () =>
                {
                    await RefreshAsync();
                    StateHasChanged();
                });
            }
        }
        catch (OperationCanceledException)
        {
            // The page was left.
        }
    }

    public void Dispose()
    {
        _closed.Cancel();
        GC.SuppressFinalize(this);
    }
}
