using System.CommandLine;

namespace Hoard.Cli.Commands.Backups;

internal static class ShowCommand
{
    public static Command Create(CliServices services)
    {
        var backup = BackupArgument.Create(services);
        return new Command("show", "Show a backup.").With(backup).Runs(services, async context =>
            context.Output.Show(await ResourceResolver.FindAsync(await context.ClientAsync(), ResourceKind.Backup, context.Get(backup), context.Cancellation)));
    }
}
