using System.CommandLine;
using System.Text.Json.Nodes;

namespace Hoard.Cli.Commands.Instances;

/// <summary><c>hoard instance update</c>: rename, or change who may connect.</summary>
internal static class UpdateCommand
{
    public static Command Create(CliServices services)
    {
        var instance = InstanceOperations.Argument(services);
        var name = new Option<string>("--name") { Description = "A new name." };
        var cidrs = new Option<string[]>("--allowed-cidr") { Description = "Only these networks may connect (repeatable).", AllowMultipleArgumentsPerToken = true };
        var open = new Option<bool>("--allow-all") { Description = "Let every network connect again." };
        return new Command("update", "Rename an instance or change who may connect to it.").With(instance, name, cidrs, open)
            .Runs(services, async context =>
            {
                var spec = new JsonObject();
                if (context.Get(name) is { } newName)
                {
                    spec["name"] = newName;
                }

                var allowed = context.Get(cidrs) ?? [];
                if (allowed.Length > 0 && context.Get(open))
                {
                    throw CliException.Usage("--allowed-cidr and --allow-all contradict each other.");
                }

                if (allowed.Length > 0 || context.Get(open))
                {
                    spec["access"] = new JsonObject { ["allowed_cidrs"] = new JsonArray([.. allowed.Select(c => (JsonNode)c)]) };
                }

                if (spec.Count == 0)
                {
                    throw CliException.Usage("Nothing to update: give --name, --allowed-cidr or --allow-all.");
                }

                var id = await InstanceOperations.IdAsync(context, context.Get(instance));
                await (await context.ClientAsync()).PutAsync($"instances/{id}", new JsonObject { ["instance"] = spec }, context.Cancellation);
                context.Output.Message($"Updated instance {context.Get(instance)}.");
            });
    }
}
