using System.CommandLine;
using System.Text.Json.Nodes;

namespace Hoard.Cli.Commands.Instances;

internal static class ListCommand
{
    public static Command Create(CliServices services) =>
        new Command("list", "List the project's instances.").Runs(services, async context =>
        {
            var body = await (await context.ClientAsync()).GetAsync("instances?limit=1000", context.Cancellation);
            context.Output.List(body?["instances"] as JsonArray ?? [], InstanceOperations.ListColumns);
        });
}
