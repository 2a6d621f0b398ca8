using System.CommandLine;
using Hoard.Cli.Commands.Instances;

namespace Hoard.Cli.Commands.BackupSchedules;

internal static class RemoveCommand
{
    public static Command Create(CliServices services)
    {
        var instance = InstanceOperations.Argument(services);
        return new Command("remove", "Remove an instance's backup schedule (its backups stay).").With(instance).Runs(services, async context =>
        {
            var id = await InstanceOperations.IdAsync(context, context.Get(instance));
            await (await context.ClientAsync()).DeleteAsync($"instances/{id}/backup_schedule", context.Cancellation);
            context.Output.Message($"Removed the backup schedule of {context.Get(instance)}.");
        });
    }
}
