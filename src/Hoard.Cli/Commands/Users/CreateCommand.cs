using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Commands.Instances;

namespace Hoard.Cli.Commands.Users;

internal static class CreateCommand
{
    public static Command Create(CliServices services)
    {
        var instance = InstanceOperations.Argument(services);
        var name = new Argument<string>("name") { Description = "The user's name." };
        var host = new Option<string>("--host") { Description = "Where the user may connect from (MariaDB; default %)." };
        var databases = new Option<string[]>("--database") { Description = "A database the user may use (repeatable).", AllowMultipleArgumentsPerToken = true };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from standard input (else a prompt)." };
        return new Command("create", "Create a user in an instance.").With(instance, name, host, databases, passwordStdin)
            .Runs(services, async context =>
            {
                var password = context.ReadSecret(passwordStdin, $"Password for {context.Get(name)}: ", required: true)!;
                var id = await InstanceOperations.IdAsync(context, context.Get(instance));
                var user = new JsonObject
                {
                    ["name"] = context.Get(name), ["password"] = password,
                    ["databases"] = new JsonArray([.. (context.Get(databases) ?? []).Select(d => (JsonNode)new JsonObject { ["name"] = d })]),
                };
                if (context.Get(host) is { } from)
                {
                    user["host"] = from;
                }

                await (await context.ClientAsync()).PostAsync($"instances/{id}/users", new JsonObject { ["users"] = new JsonArray(user) }, context.Cancellation);
                context.Output.Message($"Created user {context.Get(name)} in {context.Get(instance)}.");
            });
    }
}
