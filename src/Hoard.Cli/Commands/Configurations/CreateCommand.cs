using System.CommandLine;
using System.Text.Json.Nodes;

namespace Hoard.Cli.Commands.Configurations;

internal static class CreateCommand
{
    public static Command Create(CliServices services)
    {
        var name = new Argument<string>("name") { Description = "The group's name." };
        var values = ConfigurationValues.Option(required: true);
        var datastore = new Option<string>("--datastore") { Description = "mariadb, postgresql or redis.", Required = true };
        var version = new Option<string>("--datastore-version") { Description = "The datastore's version.", Required = true };
        var description = new Option<string>("--description") { Description = "A description." };
        return new Command("create", "Create a configuration group.").With(name, values, datastore, version, description)
            .Runs(services, async context =>
            {
                var spec = new JsonObject
                {
                    ["name"] = context.Get(name),
                    ["values"] = ConfigurationValues.Parse(context.Get(values)!),
                    ["datastore"] = new JsonObject { ["type"] = context.Get(datastore), ["version"] = context.Get(version) },
                };
                if (context.Get(description) is { } text)
                {
                    spec["description"] = text;
                }

                var body = await (await context.ClientAsync()).PostAsync("configurations", new JsonObject { ["configuration"] = spec }, context.Cancellation);
                context.Output.Show(body?["configuration"] as JsonObject ?? []);
            });
    }
}
