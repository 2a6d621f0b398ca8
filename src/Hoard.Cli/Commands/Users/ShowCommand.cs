using System.CommandLine;
using System.Text.Json.Nodes;

namespace Hoard.Cli.Commands.Users;

internal static class ShowCommand
{
    public static Command Create(CliServices services)
    {
        var target = new UserTarget(services);
        return new Command("show", "Show a user.").With(target.Symbols).Runs(services, async context =>
        {
            var body = await (await context.ClientAsync()).GetAsync(await target.PathAsync(context), context.Cancellation);
            context.Output.Show(body?["user"] as JsonObject ?? []);
        });
    }
}
