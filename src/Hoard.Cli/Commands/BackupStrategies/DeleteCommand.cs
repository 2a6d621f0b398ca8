using System.CommandLine;

namespace Hoard.Cli.Commands.BackupStrategies;

internal static class DeleteCommand
{
    public static Command Create(CliServices services)
    {
        var filters = new StrategyFilters();
        return new Command("delete", "Remove the project's backup strategy, or one instance's; backups then go where the next rule says.")
            .With(filters.Options).Runs(services, async context =>
            {
                await (await context.ClientAsync()).DeleteAsync(await filters.PathAsync(context), context.Cancellation);
                var whose = context.Get(filters.Instance) is { } i ? $"instance {i}"
                    : context.Get(filters.Project) is { } p ? $"project {p}"
                    : "your project";
                context.Output.Message($"Deleted the backup strategy of {whose}.");
            });
    }
}
