using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Commands.Instances;
using Hoard.Cli.Output;

namespace Hoard.Cli.Commands.Users;

internal static class ListCommand
{
    public static Command Create(CliServices services)
    {
        var instance = InstanceOperations.Argument(services);
        return new Command("list", "List an instance's users.").With(instance).Runs(services, async context =>
        {
            var id = await InstanceOperations.IdAsync(context, context.Get(instance));
            var body = await (await context.ClientAsync()).GetAsync($"instances/{id}/users?limit=1000", context.Cancellation);
            context.Output.List(body?["users"] as JsonArray ?? [], [new Column("Name", "name"), new Column("Host", "host"), new Column("Databases", "databases")]);
        });
    }
}
