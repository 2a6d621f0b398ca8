using System.CommandLine;

namespace Hoard.Cli.Commands.Configurations;

internal static class ShowCommand
{
    public static Command Create(CliServices services)
    {
        var group = ConfigurationValues.GroupArgument(services);
        return new Command("show", "Show a configuration group and its values.").With(group).Runs(services, async context =>
            context.Output.Show(await ResourceResolver.FindAsync(await context.ClientAsync(), ResourceKind.Configuration, context.Get(group), context.Cancellation)));
    }
}
