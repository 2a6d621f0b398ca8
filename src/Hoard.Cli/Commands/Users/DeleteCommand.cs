using System.CommandLine;

namespace Hoard.Cli.Commands.Users;

internal static class DeleteCommand
{
    public static Command Create(CliServices services)
    {
        var target = new UserTarget(services);
        return new Command("delete", "Delete a user.").With(target.Symbols).Runs(services, async context =>
        {
            await (await context.ClientAsync()).DeleteAsync(await target.PathAsync(context), context.Cancellation);
            context.Output.Message($"Deleted user {target.UserName(context)} from {target.InstanceName(context)}.");
        });
    }
}
