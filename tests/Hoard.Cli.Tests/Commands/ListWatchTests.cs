using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hoard.Cli.Commands;
using Hoard.Cli.Output;
using Hoard.Cli.Tests.Waiting;

namespace Hoard.Cli.Tests.Commands;

public sealed class ListWatchTests
{
    private static readonly Column[] Columns = [new("Name", "name"), new("Status", "status")];

    [Fact]
    public async Task RunAsync_ShowsEachReadUnderItsTime_AndEndsQuietlyWhenCancelled()
    {
        var writer = new StringWriter();
        var time = new SteppingTimeProvider();
        using var cancellation = new CancellationTokenSource();
        string[] statuses = ["BUILD", "BUILD", "ACTIVE"];
        var reads = 0;
        Task<JsonArray> ReadAsync(CancellationToken _)
        {
            if (reads == statuses.Length - 1)
            {
                cancellation.Cancel();
            }

            return Task.FromResult(new JsonArray(new JsonObject { ["name"] = "shop", ["status"] = statuses[reads++] }));
        }

        await new ListWatch(new Renderer(OutputFormat.Table, writer, interactive: false), time).RunAsync(ReadAsync, Columns, cancellation.Token);

        var text = writer.ToString();
        Assert.Equal(3, reads);
        Assert.Equal(3, text.Split("shop").Length - 1);
        Assert.Matches(@"(?s)BUILD.*BUILD.*ACTIVE", text);
        Assert.Equal(3, Regex.Count(text, @"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$", RegexOptions.Multiline));
    }
}
