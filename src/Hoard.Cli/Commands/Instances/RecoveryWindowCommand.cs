using System.CommandLine;
using System.Text.Json.Nodes;

namespace Hoard.Cli.Commands.Instances;

/// <summary><c>hoard instance recovery-window</c>: the times a point-in-time restore of the instance can reach.</summary>
internal static class RecoveryWindowCommand
{
    public static Command Create(CliServices services)
    {
        var instance = InstanceOperations.Argument(services);
        return new Command("recovery-window", "Show the earliest and latest times an instance can be restored to.").With(instance)
            .Runs(services, async context =>
            {
                var id = await InstanceOperations.IdAsync(context, context.Get(instance));
                var body = await (await context.ClientAsync()).GetAsync($"instances/{id}/recovery_window", context.Cancellation);
                context.Output.Show(body?["recovery_window"] as JsonObject ?? []);
            });
    }
}
