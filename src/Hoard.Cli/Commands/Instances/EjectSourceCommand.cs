using System.CommandLine;
using System.Text.Json.Nodes;

namespace Hoard.Cli.Commands.Instances;

internal static class EjectSourceCommand
{
    public static Command Create(CliServices services) =>
        InstanceOperations.Action(services, "eject-source", "Replace a silent source: promote the most advanced of its replicas.",
            "Ejecting the source of {0}.", _ => new JsonObject { ["eject_replica_source"] = new JsonObject() });
}
