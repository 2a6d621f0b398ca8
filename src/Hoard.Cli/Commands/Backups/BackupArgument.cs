using System.CommandLine;

namespace Hoard.Cli.Commands.Backups;

internal static class BackupArgument
{
    public static Argument<string> Create(CliServices services) =>
        NameCompletion.Completing(new Argument<string>("backup") { Description = "The backup's name or id." }, services, ResourceKind.Backup);
}
