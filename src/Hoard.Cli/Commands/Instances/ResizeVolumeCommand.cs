using System.CommandLine;
using System.Text.Json.Nodes;

namespace Hoard.Cli.Commands.Instances;

internal static class ResizeVolumeCommand
{
    public static Command Create(CliServices services)
    {
        var size = new Argument<int>("size") { Description = "The new volume size in GB (volumes only grow)." };
        return InstanceOperations.Action(services, "resize-volume", "Grow an instance's volume; its data is kept.", "Resizing the volume of instance {0}.",
            context => new JsonObject { ["resize"] = new JsonObject { ["volume"] = new JsonObject { ["size"] = context.Get(size) } } }, size);
    }
}
