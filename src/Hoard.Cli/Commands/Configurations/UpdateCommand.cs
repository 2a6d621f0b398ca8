using System.CommandLine;
using System.Text.Json.Nodes;

namespace Hoard.Cli.Commands.Configurations;

/// <summary><c>hoard configuration update</c>: merge values into a group (PATCH), or replace them all (PUT).</summary>
internal static class UpdateCommand
{
    public static Command Create(CliServices services)
    {
        var group = ConfigurationValues.GroupArgument(services);
        var values = ConfigurationValues.Option(required: true);
        var replace = new Option<bool>("--replace") { Description = "Replace every value (unlisted ones go back to defaults) instead of merging." };
        return new Command("update", "Change a configuration group's values; attached instances get them.").With(group, values, replace)
            .Runs(services, async context =>
            {
                var client = await context.ClientAsync();
                var id = await ResourceResolver.IdAsync(client, ResourceKind.Configuration, context.Get(group), context.Cancellation);
                var body = new JsonObject { ["configuration"] = new JsonObject { ["values"] = ConfigurationValues.Parse(context.Get(values)!) } };
                if (context.Get(replace))
                {
                    await client.PutAsync($"configurations/{id}", body, context.Cancellation);
                }
                else
                {
                    await client.PatchAsync($"configurations/{id}", body, context.Cancellation);
                }

                context.Output.Message($"Updated configuration group {context.Get(group)}.");
            });
    }
}
