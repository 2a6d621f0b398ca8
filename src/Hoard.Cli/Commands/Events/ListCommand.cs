using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Commands.Instances;
using Hoard.Cli.Output;

namespace Hoard.Cli.Commands.Events;

/// <summary><c>hoard event list</c>: the project's events, or one instance's, newest first.</summary>
internal static class ListCommand
{
    private static readonly Column[] Columns =
    [
        new("Time", "time"), new("Type", "type"), new("Instance", "instance_id"), new("Message", "message"), new("User", "user_id"),
    ];

    public static Command Create(CliServices services)
    {
        var instance = new Option<string>("--instance") { Description = "Only this instance's events (name or id)." };
        var limit = ListLimit.Create("events");
        return new Command("list", "List the events of the project's instances, newest first.").With(instance, limit).Runs(services, async context =>
        {
            var path = context.Get(instance) is { } i ? $"instances/{await InstanceOperations.IdAsync(context, i)}/events" : "events";
            var body = await (await context.ClientAsync()).GetAsync(QueryString.Path(path, ("limit", context.Get(limit))), context.Cancellation);
            context.Output.List(body?["events"] as JsonArray ?? [], Columns);
        });
    }
}
