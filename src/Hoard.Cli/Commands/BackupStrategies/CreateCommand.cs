using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Commands.Instances;

namespace Hoard.Cli.Commands.BackupStrategies;

internal static class CreateCommand
{
    public static Command Create(CliServices services)
    {
        var instance = new Option<string>("--instance") { Description = "Set this instance's strategy (name or id); else the project's." };
        var container = new Option<string>("--swift-container") { Description = "The Swift container the backups go to.", Required = true };
        return new Command("create", "Set the container of the project's backups, or of one instance's (it wins); replaces the one set.")
            .With(instance, container).Runs(services, async context =>
            {
                var spec = new JsonObject { ["swift_container"] = context.Get(container) };
                if (context.Get(instance) is { } i)
                {
                    spec["instance_id"] = await InstanceOperations.IdAsync(context, i);
                }

                var body = await (await context.ClientAsync())
                    .PostAsync("backup_strategies", new JsonObject { ["backup_strategy"] = spec }, context.Cancellation);
                context.Output.Show(body?["backup_strategy"] as JsonObject ?? []);
            });
    }
}
