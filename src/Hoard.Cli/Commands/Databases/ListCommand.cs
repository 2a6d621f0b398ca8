using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Commands.Instances;
using Hoard.Cli.Output;

namespace Hoard.Cli.Commands.Databases;

internal static class ListCommand
{
    public static Command Create(CliServices services)
    {
        var instance = InstanceOperations.Argument(services);
        return new Command("list", "List an instance's databases.").With(instance).Runs(services, async context =>
        {
            var id = await InstanceOperations.IdAsync(context, context.Get(instance));
            var body = await (await context.ClientAsync()).GetAsync($"instances/{id}/databases?limit=1000", context.Cancellation);
            context.Output.List(body?["databases"] as JsonArray ?? [], [new Column("Name", "name")]);
        });
    }
}
