using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Commands.Instances;

namespace Hoard.Cli.Commands.Configurations;

/// <summary><c>hoard configuration default</c>: the settings an instance's database server runs with, as its guest reads them.</summary>
internal static class DefaultCommand
{
    public static Command Create(CliServices services)
    {
        var instance = InstanceOperations.Argument(services);
        return new Command("default", "Show the settings an instance's database runs with (its group's values included).").With(instance)
            .Runs(services, async context =>
            {
                var id = await InstanceOperations.IdAsync(context, context.Get(instance));
                var body = await (await context.ClientAsync()).GetAsync($"instances/{id}/configuration", context.Cancellation);
                context.Output.Show(body?["instance"]?["configuration"] as JsonObject ?? []);
            });
    }
}
