using System.CommandLine;
using System.Text.Json.Nodes;

namespace Hoard.Cli.Commands.Instances;

internal static class PromoteCommand
{
    public static Command Create(CliServices services) =>
        InstanceOperations.Action(services, "promote", "Switch over: make this replica its set's source, losing no write.",
            "Promoting replica {0}.", _ => new JsonObject { ["promote_to_replica_source"] = new JsonObject() });
}
