using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Output;

namespace Hoard.Cli.Commands.BackupStrategies;

internal static class ListCommand
{
    private static readonly Column[] Columns =
    [
        new("Project", "project_id"), new("Instance", "instance_id"), new("Backend", "backend"), new("Swift container", "swift_container"),
    ];

    public static Command Create(CliServices services)
    {
        var filters = new StrategyFilters();
        return new Command("list", "List the backup strategies of the project (or of one instance).").With(filters.Options)
            .Runs(services, async context =>
            {
                var body = await (await context.ClientAsync()).GetAsync(await filters.PathAsync(context), context.Cancellation);
                context.Output.List(body?["backup_strategies"] as JsonArray ?? [], Columns);
            });
    }
}
