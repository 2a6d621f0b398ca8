using System.Text.Json.Nodes;
using Hoard.Cli.Output;

namespace Hoard.Cli.Commands;

/// <summary><c>--watch</c>: a list read and shown again every <see cref="Interval"/> until Ctrl+C, which ends it normally.</summary>
internal sealed class ListWatch(Renderer output, TimeProvider time)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    public async Task RunAsync(Func<CancellationToken, Task<JsonArray>> read, IReadOnlyList<Column> columns, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                output.ListAgain(await read(cancellationToken), columns, time.GetUtcNow());
                await Task.Delay(Interval, time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C is how a watch ends: not a failure.
        }
    }
}
