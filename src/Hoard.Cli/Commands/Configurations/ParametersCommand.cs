using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Output;

namespace Hoard.Cli.Commands.Configurations;

/// <summary><c>hoard configuration parameters</c>: the settings a group may hold for a datastore version, with their ranges.</summary>
internal static class ParametersCommand
{
    private static readonly Column[] Columns =
    [
        new("Name", "name"), new("Type", "type"), new("Min", "min"), new("Max", "max"), new("Restart required", "restart_required"),
    ];

    public static Command Create(CliServices services)
    {
        var datastore = new Argument<string>("datastore") { Description = "mariadb, postgresql or redis." };
        var version = new Argument<string>("version") { Description = "The datastore's version." };
        var name = new Option<string>("--name") { Description = "Show only this parameter." };
        return new Command("parameters", "List the parameters a configuration group may set.").With(datastore, version, name)
            .Runs(services, async context =>
            {
                var path = $"datastores/{Uri.EscapeDataString(context.Get(datastore))}/versions/{Uri.EscapeDataString(context.Get(version))}/parameters";
                var client = await context.ClientAsync();
                if (context.Get(name) is { } one)
                {
                    context.Output.Show(await client.GetAsync($"{path}/{Uri.EscapeDataString(one)}", context.Cancellation) as JsonObject ?? []);
                    return;
                }

                var body = await client.GetAsync(path, context.Cancellation);
                context.Output.List(body?["configuration-parameters"] as JsonArray ?? [], Columns);
            });
    }
}
