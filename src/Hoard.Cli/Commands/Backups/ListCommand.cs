using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Commands.Instances;
using Hoard.Cli.Output;

namespace Hoard.Cli.Commands.Backups;

internal static class ListCommand
{
    private static readonly Column[] Columns =
    [
        new("ID", "id"), new("Name", "name"), new("Instance", "instance_id"), new("Status", "status"), new("Datastore", "datastore.type"),
        new("Size (GB)", "size"), new("Parent", "parent_id"), new("Created", "created"),
    ];

    public static Command Create(CliServices services)
    {
        var instance = new Option<string>("--instance") { Description = "Only the backups of this instance (name or id)." };
        return new Command("list", "List backups.").With(instance).Runs(services, async context =>
        {
            var filter = context.Get(instance) is { } i ? "&instance_id=" + await InstanceOperations.IdAsync(context, i) : "";
            var body = await (await context.ClientAsync()).GetAsync("backups?limit=1000" + filter, context.Cancellation);
            context.Output.List(body?["backups"] as JsonArray ?? [], Columns);
        });
    }
}
