using System.CommandLine;
using System.Text.Json.Nodes;

namespace Hoard.Cli.Commands.Users;

/// <summary><c>hoard user update</c>: rename a user, move its host, or change its password.</summary>
internal static class UpdateCommand
{
    public static Command Create(CliServices services)
    {
        var target = new UserTarget(services);
        var newName = new Option<string>("--new-name") { Description = "A new name." };
        var newHost = new Option<string>("--new-host") { Description = "A new host." };
        var newPassword = new Option<bool>("--new-password") { Description = "Set a new password (prompted, or read from standard input)." };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "With --new-password: read it from standard input." };
        return new Command("update", "Rename a user, change its host or its password.").With([.. target.Symbols, newName, newHost, newPassword, passwordStdin])
            .Runs(services, async context =>
            {
                var spec = new JsonObject();
                if (context.Get(newName) is { } name)
                {
                    spec["name"] = name;
                }

                if (context.Get(newHost) is { } host)
                {
                    spec["host"] = host;
                }

                if (context.Get(newPassword))
                {
                    spec["password"] = context.ReadSecret(passwordStdin, $"New password for {target.UserName(context)}: ", required: true);
                }

                if (spec.Count == 0)
                {
                    throw CliException.Usage("Nothing to update: give --new-name, --new-host or --new-password.");
                }

                await (await context.ClientAsync()).PutAsync(await target.PathAsync(context), new JsonObject { ["user"] = spec }, context.Cancellation);
                context.Output.Message($"Updated user {target.UserName(context)}.");
            });
    }
}
