using System.CommandLine;
using System.Text.Json.Nodes;

namespace Hoard.Cli.Commands.Instances;

/// <summary><c>hoard instance detach</c>: a replica stops following its source and becomes a writable instance of its own.</summary>
internal static class DetachCommand
{
    public static Command Create(CliServices services)
    {
        var replica = InstanceOperations.Argument(services, "replica");
        var command = new Command("detach", "Detach a replica from its source; it becomes a standalone instance.").With(replica);
        var wait = new WaitOptions(command);
        return command.Runs(services, async context =>
        {
            var id = await InstanceOperations.IdAsync(context, context.Get(replica));
            // As in Trove, any value of replica_of in an update detaches.
            await (await context.ClientAsync()).PutAsync($"instances/{id}",
                new JsonObject { ["instance"] = new JsonObject { ["replica_of"] = null } }, context.Cancellation);
            InstanceOperations.Report(context, await InstanceOperations.WaitForActiveAsync(context, wait, id, context.Get(replica)),
                $"Detaching replica {context.Get(replica)}.");
        });
    }
}
