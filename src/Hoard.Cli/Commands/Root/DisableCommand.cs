using System.CommandLine;
using Hoard.Cli.Commands.Instances;

namespace Hoard.Cli.Commands.Root;

internal static class DisableCommand
{
    public static Command Create(CliServices services)
    {
        var instance = InstanceOperations.Argument(services);
        return new Command("disable", "Disable the superuser.").With(instance).Runs(services, async context =>
        {
            var id = await InstanceOperations.IdAsync(context, context.Get(instance));
            await (await context.ClientAsync()).DeleteAsync($"instances/{id}/root", context.Cancellation);
            context.Output.Message($"Root disabled on {context.Get(instance)}.");
        });
    }
}
