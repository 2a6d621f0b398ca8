using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Waiting;

namespace Hoard.Cli.Commands.Instances;

internal static class DeleteCommand
{
    public static Command Create(CliServices services)
    {
        var instance = InstanceOperations.Argument(services);
        var force = new Option<bool>("--force") { Description = "Admins: reset the instance's status first, so that it goes from any state." };
        var command = new Command("delete", "Delete an instance and its data.").With(instance, force);
        var wait = new WaitOptions(command);
        return command.Runs(services, async context =>
        {
            var client = await context.ClientAsync();
            var id = await InstanceOperations.IdAsync(context, context.Get(instance));
            if (context.Get(force))
            {
                await client.PostAsync($"instances/{id}/action", new JsonObject { ["reset_status"] = new JsonObject() }, context.Cancellation);
            }

            await client.DeleteAsync($"instances/{id}", context.Cancellation);
            await context.WaitIfAskedAsync(wait, $"instance {context.Get(instance)}", _ => InstanceOperations.ShowByIdAsync(context, id), WaitJudges.InstanceGone);
            context.Output.Message(context.Get(wait.Wait) ? $"Deleted instance {context.Get(instance)}." : $"Deleting instance {context.Get(instance)}.");
        });
    }
}
