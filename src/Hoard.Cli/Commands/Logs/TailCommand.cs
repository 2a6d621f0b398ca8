using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Commands.Instances;
using Hoard.Cli.Output;

namespace Hoard.Cli.Commands.Logs;

/// <summary><c>hoard log tail &lt;instance&gt; &lt;name&gt; [--lines N]</c>: the end of what was published (publish first for what is new).</summary>
internal static class TailCommand
{
    public static Command Create(CliServices services)
    {
        var instance = InstanceOperations.Argument(services);
        var name = LogCommands.NameArgument();
        var lines = new Option<int>("--lines") { Description = "How many of the last lines to show; 0 for all.", DefaultValueFactory = _ => 50 };
        return new Command("tail", "Show the last lines published of a log.").With(instance, name, lines).Runs(services, async context =>
        {
            var id = await InstanceOperations.IdAsync(context, context.Get(instance));
            var path = $"instances/{id}/log/{Uri.EscapeDataString(context.Get(name))}?lines={context.Get(lines)}";
            var log = (await (await context.ClientAsync()).GetAsync(path, context.Cancellation))?["log"] as JsonObject ?? [];
            if (context.Output.Format == OutputFormat.Table)
                context.Output.Message((log["contents"]?.GetValue<string>() ?? "").TrimEnd('\n'));
            else
                context.Output.Show(log);
        });
    }
}
