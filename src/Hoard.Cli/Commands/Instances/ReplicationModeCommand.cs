using System.CommandLine;
using System.Text.Json.Nodes;

namespace Hoard.Cli.Commands.Instances;

/// <summary><c>hoard instance replication-mode</c>: a replication set's commits wait for a replica (synchronous), or not.</summary>
internal static class ReplicationModeCommand
{
    public static Command Create(CliServices services)
    {
        var instance = InstanceOperations.Argument(services);
        var mode = new Argument<string>("mode") { Description = "synchronous or asynchronous." };
        mode.AcceptOnlyFromAmong("synchronous", "asynchronous");
        return new Command("replication-mode", "Make an instance's replication set synchronous or asynchronous.").With(instance, mode)
            .Runs(services, async context =>
            {
                var id = await InstanceOperations.IdAsync(context, context.Get(instance));
                var body = new JsonObject { ["replication"] = new JsonObject { ["synchronous"] = context.Get(mode) == "synchronous" } };
                await (await context.ClientAsync()).PutAsync($"instances/{id}/replication", body, context.Cancellation);
                context.Output.Message($"The replication set of {context.Get(instance)} is now {context.Get(mode)}.");
            });
    }
}
