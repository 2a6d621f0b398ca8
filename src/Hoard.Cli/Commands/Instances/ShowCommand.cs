using System.CommandLine;

namespace Hoard.Cli.Commands.Instances;

/// <summary><c>hoard instance show</c>: everything about an instance, and a connection string ready to paste.</summary>
internal static class ShowCommand
{
    public static Command Create(CliServices services)
    {
        var instance = InstanceOperations.Argument(services);
        return new Command("show", "Show an instance, with its connection string.").With(instance)
            .Runs(services, async context => context.Output.Show(await InstanceOperations.ShowAsync(context, context.Get(instance))));
    }
}
