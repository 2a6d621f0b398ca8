using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Commands.Connect;
using Hoard.Cli.Output;
using Hoard.Cli.Waiting;

namespace Hoard.Cli.Commands.Instances;

/// <summary>What the instance commands share: the instance argument, finding one, showing it, and acting on it.</summary>
internal static class InstanceOperations
{
    public static readonly IReadOnlyList<Column> ListColumns =
    [
        new("ID", "id"), new("Name", "name"), new("Datastore", "datastore.type"), new("Version", "datastore.version"),
        new("Status", "status"), new("Operating status", "operating_status"), new("Addresses", "ip"), new("Flavor", "flavor.id"),
        new("Size", "volume.size"), new("Replica of", "replica_of.id"),
    ];

    public static Argument<string> Argument(CliServices services, string name = "instance") =>
        NameCompletion.Completing(new Argument<string>(name) { Description = "The instance's name or id." }, services, ResourceKind.Instance);

    public static async Task<string> IdAsync(CommandContext context, string nameOrId) =>
        await ResourceResolver.IdAsync(await context.ClientAsync(), ResourceKind.Instance, nameOrId, context.Cancellation);

    /// <summary>The instance's full view, with the connection string added when it has an address.</summary>
    public static async Task<JsonObject> ShowAsync(CommandContext context, string nameOrId) =>
        await ShowByIdAsync(context, await IdAsync(context, nameOrId)) ?? throw CliException.NotFound($"Instance {nameOrId} is gone.");

    public static async Task<JsonObject?> ShowByIdAsync(CommandContext context, string id)
    {
        if ((await (await context.ClientAsync()).TryGetAsync($"instances/{id}", context.Cancellation))?["instance"] is not JsonObject instance)
        {
            return null;
        }

        if (InstanceEndpoint.Of(instance) is { } endpoint)
        {
            instance["connection"] = endpoint.ConnectionString;
        }

        return instance;
    }

    /// <summary>With <c>--wait</c>: the instance once ACTIVE again (exit 1 on ERROR, 5 at the deadline); else null.</summary>
    public static Task<JsonObject?> WaitForActiveAsync(CommandContext context, WaitOptions wait, string id, string name) =>
        context.WaitIfAskedAsync(wait, $"instance {name}", _ => ShowByIdAsync(context, id), WaitJudges.InstanceActive);

    /// <summary>Shows the instance as the wait left it, or, when not waiting, says what was started.</summary>
    public static void Report(CommandContext context, JsonObject? ended, string started)
    {
        if (ended is not null)
        {
            context.Output.Show(ended);
        }
        else
        {
            context.Output.Message(started);
        }
    }

    /// <summary>POSTs one action (<c>{"restart": {}}</c>) to the instance, then waits for it to be ACTIVE if asked.</summary>
    public static Command Action(CliServices services, string name, string description, string started,
        Func<CommandContext, JsonObject> body, params Symbol[] symbols) =>
        Action(services, name, description, started, context => Task.FromResult(body(context)), symbols);

    public static Command Action(CliServices services, string name, string description, string started,
        Func<CommandContext, Task<JsonObject>> body, params Symbol[] symbols)
    {
        var instance = Argument(services);
        var command = new Command(name, description).With([instance, .. symbols]);
        var wait = new WaitOptions(command);
        return command.Runs(services, async context =>
        {
            var id = await IdAsync(context, context.Get(instance));
            await (await context.ClientAsync()).PostAsync($"instances/{id}/action", await body(context), context.Cancellation);
            var name = context.Get(instance);
            Report(context, await WaitForActiveAsync(context, wait, id, name), string.Format(System.Globalization.CultureInfo.InvariantCulture, started, name));
        });
    }
}
