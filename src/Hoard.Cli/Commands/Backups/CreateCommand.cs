using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Commands.Instances;
using Hoard.Cli.Waiting;

namespace Hoard.Cli.Commands.Backups;

internal static class CreateCommand
{
    public static Command Create(CliServices services)
    {
        var name = new Argument<string>("name") { Description = "The backup's name." };
        var instance = new Option<string>("--instance") { Description = "The instance to back up (name or id).", Required = true };
        var description = new Option<string>("--description") { Description = "A description." };
        var incremental = new Option<bool>("--incremental") { Description = "Only what changed since the instance's last backup (MariaDB)." };
        var parent = new Option<string>("--parent") { Description = "An incremental on top of this backup (name or id)." };
        var strategy = new Option<string>("--strategy") { Description = "The tool, among those the datastore version allows (e.g. mariadb-dump, pg_dump)." };
        var container = new Option<string>("--swift-container") { Description = "The Swift container to store it in (Swift backup storage only)." };
        var command = new Command("create", "Back up an instance.").With(name, instance, description, incremental, parent, strategy, container);
        var wait = new WaitOptions(command);
        return command.Runs(services, async context =>
        {
            var client = await context.ClientAsync();
            var spec = new JsonObject
            {
                ["name"] = context.Get(name),
                ["instance"] = await InstanceOperations.IdAsync(context, context.Get(instance)!),
            };
            if (context.Get(description) is { } text)
            {
                spec["description"] = text;
            }

            if (context.Get(incremental))
            {
                spec["incremental"] = 1;
            }

            if (context.Get(parent) is { } parentBackup)
            {
                spec["parent_id"] = await ResourceResolver.ReferenceIdAsync(client, ResourceKind.Backup, parentBackup, context.Cancellation);
            }

            if (context.Get(strategy) is { } tool)
            {
                spec["strategy"] = tool;
            }

            if (context.Get(container) is { } swiftContainer)
            {
                spec["swift_container"] = swiftContainer;
            }

            var created = (await client.PostAsync("backups", new JsonObject { ["backup"] = spec }, context.Cancellation))!["backup"]!.AsObject();
            var id = created["id"]!.ToString();
            var ended = await context.WaitIfAskedAsync(wait, $"backup {context.Get(name)}",
                async ct => (await client.TryGetAsync($"backups/{id}", ct))?["backup"] as JsonObject, WaitJudges.BackupCompleted);
            context.Output.Show(ended ?? created);
        });
    }
}
