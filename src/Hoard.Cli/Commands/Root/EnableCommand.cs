using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Commands.Instances;

namespace Hoard.Cli.Commands.Root;

internal static class EnableCommand
{
    public static Command Create(CliServices services)
    {
        var instance = InstanceOperations.Argument(services);
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Use the password on standard input instead of a generated one." };
        return new Command("enable", "Enable the superuser; prints its name and (generated) password once.").With(instance, passwordStdin)
            .Runs(services, async context =>
            {
                var id = await InstanceOperations.IdAsync(context, context.Get(instance));
                var body = context.Get(passwordStdin)
                    ? new JsonObject { ["password"] = context.ReadSecret(passwordStdin, "Root password: ", required: true) }
                    : null;
                var answer = await (await context.ClientAsync()).PostAsync($"instances/{id}/root", body, context.Cancellation);
                context.Output.Show(answer?["user"] as JsonObject ?? []);
            });
    }
}
