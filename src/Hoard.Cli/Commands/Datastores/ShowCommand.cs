using System.CommandLine;
using System.Text.Json.Nodes;

namespace Hoard.Cli.Commands.Datastores;

internal static class ShowCommand
{
    public static Command Create(CliServices services)
    {
        var datastore = DatastoreCommands.Argument();
        return new Command("show", "Show a datastore.").With(datastore).Runs(services, async context =>
        {
            var body = await (await context.ClientAsync()).GetAsync($"datastores/{Uri.EscapeDataString(context.Get(datastore))}", context.Cancellation);
            context.Output.Show(body?["datastore"] as JsonObject ?? []);
        });
    }
}
