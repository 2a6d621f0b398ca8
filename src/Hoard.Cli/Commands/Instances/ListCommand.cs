using System.CommandLine;
using System.Text.Json.Nodes;

namespace Hoard.Cli.Commands.Instances;

internal static class ListCommand
{
    public static Command Create(CliServices services)
    {
        var watch = new Option<bool>("--watch") { Description = "Show the list again every 2 s, until Ctrl+C." };
        return new Command("list", "List the project's instances.").With(watch).Runs(services, async context =>
        {
            var client = await context.ClientAsync();
            async Task<JsonArray> ReadAsync(CancellationToken cancellationToken) =>
                (await client.GetAsync("instances?limit=1000", cancellationToken))?["instances"] as JsonArray ?? [];

            if (context.Get(watch))
            {
                await new ListWatch(context.Output, context.Services.Time).RunAsync(ReadAsync, InstanceOperations.ListColumns, context.Cancellation);
            }
            else
            {
                context.Output.List(await ReadAsync(context.Cancellation), InstanceOperations.ListColumns);
            }
        });
    }
}
