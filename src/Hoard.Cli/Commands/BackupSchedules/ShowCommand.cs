using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Commands.Instances;

namespace Hoard.Cli.Commands.BackupSchedules;

internal static class ShowCommand
{
    public static Command Create(CliServices services)
    {
        var instance = InstanceOperations.Argument(services);
        return new Command("show", "Show an instance's backup schedule and its last run.").With(instance).Runs(services, async context =>
        {
            var id = await InstanceOperations.IdAsync(context, context.Get(instance));
            var body = await (await context.ClientAsync()).GetAsync($"instances/{id}/backup_schedule", context.Cancellation);
            context.Output.Show(body?["backup_schedule"] as JsonObject ?? []);
        });
    }
}
