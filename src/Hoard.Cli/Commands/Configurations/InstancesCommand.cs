using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Output;

namespace Hoard.Cli.Commands.Configurations;

internal static class InstancesCommand
{
    public static Command Create(CliServices services)
    {
        var group = ConfigurationValues.GroupArgument(services);
        return new Command("instances", "List the instances a configuration group is attached to.").With(group).Runs(services, async context =>
        {
            var client = await context.ClientAsync();
            var id = await ResourceResolver.IdAsync(client, ResourceKind.Configuration, context.Get(group), context.Cancellation);
            var body = await client.GetAsync($"configurations/{id}/instances", context.Cancellation);
            context.Output.List(body?["instances"] as JsonArray ?? [], [new Column("ID", "id"), new Column("Name", "name")]);
        });
    }
}
