using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Hoard.Cli.Commands.Quotas;

/// <summary><c>hoard quota update</c> (admins): new limits as <c>resource=limit</c>, -1 for unlimited.</summary>
internal static class UpdateCommand
{
    public static Command Create(CliServices services)
    {
        var project = new Argument<string>("project") { Description = "The project's id." };
        var limits = new Argument<string[]>("limits") { Description = "resource=limit pairs, e.g. instances=20 ram=8192 (-1: unlimited).", Arity = ArgumentArity.OneOrMore };
        return new Command("update", "Change a project's quotas (admins).").With(project, limits).Runs(services, async context =>
        {
            var quotas = new JsonObject();
            foreach (var pair in context.Get(limits))
            {
                var parts = pair.Split('=', 2);
                if (parts.Length != 2 || !int.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var limit))
                {
                    throw CliException.Usage($"'{pair}' is not resource=limit with a whole-number limit.");
                }

                quotas[parts[0]] = limit;
            }

            var body = await (await context.ClientAsync()).PutAsync($"mgmt/quotas/{Uri.EscapeDataString(context.Get(project))}",
                new JsonObject { ["quotas"] = quotas }, context.Cancellation);
            context.Output.Show(body?["quotas"] as JsonObject ?? []);
        });
    }
}
