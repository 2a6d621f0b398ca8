using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Output;

namespace Hoard.Cli.Commands.Users;

internal static class AccessCommand
{
    public static Command Create(CliServices services)
    {
        var target = new UserTarget(services);
        return new Command("access", "List the databases a user may use.").With(target.Symbols).Runs(services, async context =>
        {
            var body = await (await context.ClientAsync()).GetAsync(await target.PathAsync(context, "/databases"), context.Cancellation);
            context.Output.List(body?["databases"] as JsonArray ?? [], [new Column("Database", "name")]);
        });
    }
}
