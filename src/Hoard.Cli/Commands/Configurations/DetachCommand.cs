using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Commands.Instances;

namespace Hoard.Cli.Commands.Configurations;

internal static class DetachCommand
{
    public static Command Create(CliServices services)
    {
        var instance = InstanceOperations.Argument(services);
        return new Command("detach", "Detach an instance's configuration group.").With(instance).Runs(services, async context =>
        {
            var id = await InstanceOperations.IdAsync(context, context.Get(instance));
            await (await context.ClientAsync()).PutAsync($"instances/{id}",
                new JsonObject { ["instance"] = new JsonObject { ["configuration"] = null } }, context.Cancellation);
            context.Output.Message($"Detached the configuration group of {context.Get(instance)}.");
        });
    }
}
