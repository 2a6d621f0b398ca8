using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Output;

namespace Hoard.Cli.Commands.Datastores;

internal static class ListCommand
{
    public static Command Create(CliServices services) =>
        new Command("list", "List datastores.").Runs(services, async context =>
        {
            var body = await (await context.ClientAsync()).GetAsync("datastores", context.Cancellation);
            context.Output.List(body?["datastores"] as JsonArray ?? [], [new Column("ID", "id"), new Column("Name", "name"), new Column("Versions", "versions")]);
        });
}
