using System.CommandLine;
using System.Text.Json.Nodes;

namespace Hoard.Cli.Commands.Quotas;

/// <summary><c>hoard quota limits</c>: the caller's own project's absolute limits and use, readable by any member.</summary>
internal static class LimitsCommand
{
    public static Command Create(CliServices services) =>
        new Command("limits", "Show your project's limits and what it uses.").Runs(services, async context =>
        {
            var body = await (await context.ClientAsync()).GetAsync("limits", context.Cancellation);
            context.Output.Show((body?["limits"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(l => l["verb"]?.ToString() == "ABSOLUTE") ?? []);
        });
}
