using System.CommandLine;

namespace Hoard.Cli.Commands.BackupStrategies;

internal static class BackupStrategyCommands
{
    public static Command Create(CliServices services) =>
        new Command("backup-strategy", "The Swift container a project's backups go to, or one instance's (Swift backup storage).").With(
            CreateCommand.Create(services), ListCommand.Create(services), DeleteCommand.Create(services));
}
