using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Commands.Instances;
using Hoard.Cli.Output;

namespace Hoard.Cli.Commands.Logs;

internal static class ListCommand
{
    public static Command Create(CliServices services)
    {
        var instance = InstanceOperations.Argument(services);
        return new Command("list", "List an instance's logs.").With(instance).Runs(services, async context =>
        {
            var id = await InstanceOperations.IdAsync(context, context.Get(instance));
            var body = await (await context.ClientAsync()).GetAsync($"instances/{id}/log", context.Cancellation);
            context.Output.List(body?["logs"] as JsonArray ?? [],
            [
                new Column("Name", "name"), new Column("Type", "type"), new Column("Status", "status"),
                new Column("Published", "published"), new Column("Pending", "pending"),
            ]);
        });
    }
}
