using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Output;

namespace Hoard.Cli.Commands.Quotas;

internal static class ShowCommand
{
    public static Command Create(CliServices services)
    {
        var project = new Argument<string>("project") { Description = "The project's id (default: your own).", Arity = ArgumentArity.ZeroOrOne };
        return new Command("show", "Show a project's quotas and what it uses (admins only, as Trove's /mgmt; members: quota limits).").With(project).Runs(services, async context =>
        {
            var client = await context.ClientAsync();
            var target = context.Get(project) is { Length: > 0 } given ? given : client.Session.ProjectId;
            var body = await client.GetAsync($"mgmt/quotas/{Uri.EscapeDataString(target)}", context.Cancellation);
            context.Output.List(body?["quotas"] as JsonArray ?? [],
                [new Column("Resource", "resource"), new Column("In use", "in_use"), new Column("Reserved", "reserved"), new Column("Limit", "limit")]);
        });
    }
}
