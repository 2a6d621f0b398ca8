using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Commands.Instances;

namespace Hoard.Cli.Commands.Databases;

internal static class CreateCommand
{
    public static Command Create(CliServices services)
    {
        var instance = InstanceOperations.Argument(services);
        var name = new Argument<string>("name") { Description = "The database's name." };
        var characterSet = new Option<string>("--character-set") { Description = "Character set (MariaDB: e.g. utf8mb4; PostgreSQL: encoding)." };
        var collation = new Option<string>("--collation") { Description = "Collation." };
        return new Command("create", "Create a database in an instance.").With(instance, name, characterSet, collation)
            .Runs(services, async context =>
            {
                var id = await InstanceOperations.IdAsync(context, context.Get(instance));
                var database = new JsonObject { ["name"] = context.Get(name) };
                if (context.Get(characterSet) is { } set)
                {
                    database["character_set"] = set;
                }

                if (context.Get(collation) is { } order)
                {
                    database["collate"] = order;
                }

                await (await context.ClientAsync()).PostAsync($"instances/{id}/databases",
                    new JsonObject { ["databases"] = new JsonArray(database) }, context.Cancellation);
                context.Output.Message($"Created database {context.Get(name)} in {context.Get(instance)}.");
            });
    }
}
