using System.CommandLine;

namespace Hoard.Cli.Commands.Root;

internal static class RootCommands
{
    public static Command Create(CliServices services) =>
        new Command("root", "The datastore's superuser of an instance.").With(
            EnableCommand.Create(services), DisableCommand.Create(services), ShowCommand.Create(services));
}
