using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Output;

namespace Hoard.Cli.Commands.Datastores;

internal static class VersionsCommand
{
    public static Command Create(CliServices services)
    {
        var datastore = DatastoreCommands.Argument();
        return new Command("versions", "List a datastore's versions.").With(datastore).Runs(services, async context =>
        {
            var body = await (await context.ClientAsync()).GetAsync($"datastores/{Uri.EscapeDataString(context.Get(datastore))}/versions", context.Cancellation);
            context.Output.List(body?["versions"] as JsonArray ?? [],
                [new Column("ID", "id"), new Column("Name", "name"), new Column("Version", "version"), new Column("Active", "active")]);
        });
    }
}
