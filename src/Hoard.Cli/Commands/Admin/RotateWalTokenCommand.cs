using System.CommandLine;

namespace Hoard.Cli.Commands.Admin;

/// <summary><c>hoard admin rotate-wal-token</c>: a new token for the guest's WAL uploads; the old one is refused from then on.</summary>
internal static class RotateWalTokenCommand
{
    public static Command Create(CliServices services)
    {
        var id = new Argument<string>("id") { Description = "The instance's id (any project)." };
        return new Command("rotate-wal-token", "Give an instance that archives its WAL a new upload token (PostgreSQL point-in-time recovery).")
            .With(id).Runs(services, async context =>
            {
                await (await context.ClientAsync()).PostAsync($"mgmt/instances/{Uri.EscapeDataString(context.Get(id))}/rotate_wal_token", null,
                    context.Cancellation);
                context.Output.Message($"Rotated the WAL token of instance {context.Get(id)}.");
            });
    }
}
