using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Commands.Instances;

namespace Hoard.Cli.Commands.Root;

internal static class ShowCommand
{
    public static Command Create(CliServices services)
    {
        var instance = InstanceOperations.Argument(services);
        return new Command("show", "Show whether the superuser is enabled.").With(instance).Runs(services, async context =>
        {
            var id = await InstanceOperations.IdAsync(context, context.Get(instance));
            context.Output.Show((await (await context.ClientAsync()).GetAsync($"instances/{id}/root", context.Cancellation)) as JsonObject ?? []);
        });
    }
}
