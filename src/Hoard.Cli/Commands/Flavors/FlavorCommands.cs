using System.CommandLine;

namespace Hoard.Cli.Commands.Flavors;

internal static class FlavorCommands
{
    public static Command Create(CliServices services) =>
        new Command("flavor", "Flavors: the RAM and vCPUs an instance gets.").With(ListCommand.Create(services), ShowCommand.Create(services));
}
