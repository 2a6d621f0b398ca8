using System.CommandLine;

namespace Hoard.Cli.Commands.BackupSchedules;

internal static class BackupScheduleCommands
{
    public static Command Create(CliServices services) =>
        new Command("backup-schedule", "An instance's automatic backups and their retention.").With(
            SetCommand.Create(services), ShowCommand.Create(services), RemoveCommand.Create(services));
}
