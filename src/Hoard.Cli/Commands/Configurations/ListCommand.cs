using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Output;

namespace Hoard.Cli.Commands.Configurations;

internal static class ListCommand
{
    private static readonly Column[] Columns =
    [
        new("ID", "id"), new("Name", "name"), new("Description", "description"), new("Datastore", "datastore_name"),
        new("Version", "datastore_version_name"),
    ];

    public static Command Create(CliServices services) =>
        new Command("list", "List configuration groups.").Runs(services, async context =>
        {
            var body = await (await context.ClientAsync()).GetAsync("configurations?limit=1000", context.Cancellation);
            context.Output.List(body?["configurations"] as JsonArray ?? [], Columns);
        });
}
