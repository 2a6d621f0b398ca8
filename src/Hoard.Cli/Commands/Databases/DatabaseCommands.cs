using System.CommandLine;

namespace Hoard.Cli.Commands.Databases;

internal static class DatabaseCommands
{
    public static Command Create(CliServices services) =>
        new Command("database", "Databases inside an instance.").With(
            CreateCommand.Create(services), ListCommand.Create(services), DeleteCommand.Create(services));
}
