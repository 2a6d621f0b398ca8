using System.CommandLine;
using System.Text.Json.Nodes;

namespace Hoard.Cli.Commands.Instances;

internal static class ResizeFlavorCommand
{
    public static Command Create(CliServices services)
    {
        var flavor = new Argument<string>("flavor") { Description = "The new flavor's name or id." };
        return InstanceOperations.Action(services, "resize-flavor", "Move an instance to another flavor (re-tuned and restarted).",
            "Resizing instance {0}.", async context => new JsonObject
            {
                ["resize"] = new JsonObject
                {
                    ["flavorRef"] = await ResourceResolver.ReferenceIdAsync(await context.ClientAsync(), ResourceKind.Flavor, context.Get(flavor), context.Cancellation),
                },
            }, flavor);
    }
}
