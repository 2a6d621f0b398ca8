using System.CommandLine;
using System.Text.Json.Nodes;

namespace Hoard.Cli.Commands.Instances;

internal static class RestartCommand
{
    public static Command Create(CliServices services) =>
        InstanceOperations.Action(services, "restart", "Restart an instance's database server.", "Restarting instance {0}.",
            _ => new JsonObject { ["restart"] = new JsonObject() });
}
