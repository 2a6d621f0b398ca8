using System.CommandLine;

namespace Hoard.Cli.Commands.Backups;

internal static class BackupCommands
{
    public static Command Create(CliServices services) =>
        new Command("backup", "Backups of instances (restore one with `instance create --backup`).").With(
            CreateCommand.Create(services), ListCommand.Create(services), ShowCommand.Create(services), DeleteCommand.Create(services));
}
