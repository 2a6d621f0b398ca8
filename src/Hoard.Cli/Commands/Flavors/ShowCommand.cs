using System.CommandLine;

namespace Hoard.Cli.Commands.Flavors;

internal static class ShowCommand
{
    public static Command Create(CliServices services)
    {
        var flavor = new Argument<string>("flavor") { Description = "The flavor's name or id." };
        return new Command("show", "Show a flavor.").With(flavor).Runs(services, async context =>
            context.Output.Show(await ResourceResolver.FindAsync(await context.ClientAsync(), ResourceKind.Flavor, context.Get(flavor), context.Cancellation)));
    }
}
