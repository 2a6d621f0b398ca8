using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Commands.Instances;

namespace Hoard.Cli.Commands.Admin;

internal static class ResetStatusCommand
{
    public static Command Create(CliServices services)
    {
        var instance = InstanceOperations.Argument(services);
        return new Command("reset-status", "End whatever an instance is stuck in, so that it can be deleted.").With(instance)
            .Runs(services, async context =>
            {
                var id = await InstanceOperations.IdAsync(context, context.Get(instance));
                await (await context.ClientAsync()).PostAsync($"instances/{id}/action",
                    new JsonObject { ["reset_status"] = new JsonObject() }, context.Cancellation);
                context.Output.Message($"Reset the status of {context.Get(instance)}.");
            });
    }
}
