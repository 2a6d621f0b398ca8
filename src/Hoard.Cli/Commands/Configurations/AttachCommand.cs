using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Commands.Instances;

namespace Hoard.Cli.Commands.Configurations;

internal static class AttachCommand
{
    public static Command Create(CliServices services)
    {
        var instance = InstanceOperations.Argument(services);
        var group = ConfigurationValues.GroupArgument(services);
        return new Command("attach", "Attach a configuration group to an instance.").With(instance, group).Runs(services, async context =>
        {
            var client = await context.ClientAsync();
            var id = await InstanceOperations.IdAsync(context, context.Get(instance));
            var groupId = await ResourceResolver.IdAsync(client, ResourceKind.Configuration, context.Get(group), context.Cancellation);
            await client.PutAsync($"instances/{id}", new JsonObject { ["instance"] = new JsonObject { ["configuration"] = groupId } }, context.Cancellation);
            context.Output.Message($"Attached {context.Get(group)} to {context.Get(instance)}.");
        });
    }
}
