using System.CommandLine;
using System.Text.Json.Nodes;

namespace Hoard.Cli.Commands.Users;

internal static class GrantCommand
{
    public static Command Create(CliServices services)
    {
        var target = new UserTarget(services);
        var databases = new Argument<string[]>("databases") { Description = "The databases to give the user.", Arity = ArgumentArity.OneOrMore };
        return new Command("grant", "Give a user access to databases.").With([.. target.Symbols, databases]).Runs(services, async context =>
        {
            var body = new JsonObject { ["databases"] = new JsonArray([.. context.Get(databases).Select(d => (JsonNode)new JsonObject { ["name"] = d })]) };
            await (await context.ClientAsync()).PutAsync(await target.PathAsync(context, "/databases"), body, context.Cancellation);
            context.Output.Message($"Granted {target.UserName(context)} access to {string.Join(", ", context.Get(databases))}.");
        });
    }
}
