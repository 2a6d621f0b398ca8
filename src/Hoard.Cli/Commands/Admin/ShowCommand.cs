using System.CommandLine;
using System.Text.Json.Nodes;

namespace Hoard.Cli.Commands.Admin;

internal static class ShowCommand
{
    public static Command Create(CliServices services)
    {
        var id = new Argument<string>("id") { Description = "The instance's id (any project)." };
        return new Command("show", "Show any instance as operators see it: server, volume, guest status.").With(id).Runs(services, async context =>
        {
            var body = await (await context.ClientAsync()).GetAsync($"mgmt/instances/{Uri.EscapeDataString(context.Get(id))}", context.Cancellation);
            context.Output.Show(body?["instance"] as JsonObject ?? []);
        });
    }
}
