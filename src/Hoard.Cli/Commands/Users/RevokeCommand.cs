using System.CommandLine;

namespace Hoard.Cli.Commands.Users;

internal static class RevokeCommand
{
    public static Command Create(CliServices services)
    {
        var target = new UserTarget(services);
        var database = new Argument<string>("database") { Description = "The database to take away." };
        return new Command("revoke", "Take a user's access to a database away.").With([.. target.Symbols, database]).Runs(services, async context =>
        {
            var path = await target.PathAsync(context, "/databases/" + Uri.EscapeDataString(context.Get(database)));
            await (await context.ClientAsync()).DeleteAsync(path, context.Cancellation);
            context.Output.Message($"Revoked {target.UserName(context)}'s access to {context.Get(database)}.");
        });
    }
}
