using System.CommandLine;

namespace Hoard.Cli.Commands.Quotas;

internal static class QuotaCommands
{
    public static Command Create(CliServices services) =>
        new Command("quota", "Per-project limits: instances, RAM, volume GB, backups.").With(
            ShowCommand.Create(services), UpdateCommand.Create(services), LimitsCommand.Create(services));
}
