using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Output;

namespace Hoard.Cli.Commands.Instances;

internal static class ReplicationEventsCommand
{
    private static readonly Column[] Columns =
    [
        new("Kind", "kind"), new("Old source", "old_source"), new("New source", "new_source"), new("Outcome", "outcome"),
        new("Started", "started"), new("Finished", "finished"), new("Downtime (s)", "downtime_seconds"), new("Reason", "reason"),
    ];

    public static Command Create(CliServices services)
    {
        var instance = InstanceOperations.Argument(services);
        return new Command("replication-events", "List the switchovers, ejects and failovers of an instance's replication set.").With(instance)
            .Runs(services, async context =>
            {
                var id = await InstanceOperations.IdAsync(context, context.Get(instance));
                var body = await (await context.ClientAsync()).GetAsync($"instances/{id}/replication_events", context.Cancellation);
                context.Output.List(body?["replication_events"] as JsonArray ?? [], Columns);
            });
    }
}
