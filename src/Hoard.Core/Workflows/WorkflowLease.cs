namespace Hoard.Core.Workflows;

/// <summary>
/// This engine's claim on one workflow it drives: until when the claim surely holds (by the last successful claim, save
/// or renewal), and a token cancelled once it is lost, which stops the drive without another write.
/// </summary>
internal sealed class WorkflowLease(string workflowId, string instanceId, DateTimeOffset validUntil) : IDisposable
{
    private readonly CancellationTokenSource _lost = new();
    private long _validUntilTicks = validUntil.UtcTicks;

    public string WorkflowId { get; } = workflowId;

    public string InstanceId { get; } = instanceId;

    public Task Drive { get; set; } = Task.CompletedTask;

    public CancellationToken Lost => _lost.Token;

    public bool IsLost => _lost.IsCancellationRequested;

    public DateTimeOffset ValidUntil => new(Interlocked.Read(ref _validUntilTicks), TimeSpan.Zero);

    /// <summary>Only ever extends: a renewal that started before a save must not shorten what the save gave.</summary>
    public void Extend(DateTimeOffset until)
    {
        long current;
        do
        {
            current = Interlocked.Read(ref _validUntilTicks);
            if (until.UtcTicks <= current)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _validUntilTicks, until.UtcTicks, current) != current);
    }

    public void Lose()
    {
        try
        {
            _lost.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose() => _lost.Dispose();
}
