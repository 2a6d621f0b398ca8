using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Commands.Instances;

namespace Hoard.Cli.Commands.Logs;

/// <summary>
/// <c>hoard log show|enable|disable|publish|discard &lt;instance&gt; &lt;name&gt;</c>: one Trove log action each
/// (<c>POST /instances/{id}/log</c> with <c>{"name": …, "&lt;action&gt;": 1}</c>; no action shows the log).
/// </summary>
internal static class LogActionCommand
{
    public static Command Create(CliServices services, string command, string? action, string description)
    {
        var instance = InstanceOperations.Argument(services);
        var name = LogCommands.NameArgument();
        return new Command(command, description).With(instance, name).Runs(services, async context =>
        {
            var id = await InstanceOperations.IdAsync(context, context.Get(instance));
            var body = new JsonObject { ["name"] = context.Get(name) };
            if (action is not null)
                body[action] = 1;
            var answer = await (await context.ClientAsync()).PostAsync($"instances/{id}/log", body, context.Cancellation);
            context.Output.Show(answer?["log"] as JsonObject ?? []);
        });
    }
}
