using System.CommandLine;
using System.CommandLine.Completions;
using System.Text.Json.Nodes;

namespace Hoard.Cli.Commands;

/// <summary>
/// Tab completion of resource names, asked of the server with the same credentials a command would use. Completion
/// runs inside the shell's key press: it gets a short budget and stays silent when it cannot answer.
/// </summary>
internal static class NameCompletion
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(3);

    public static Argument<string> Completing(Argument<string> argument, CliServices services, ResourceKind kind)
    {
        argument.CompletionSources.Add(context => Names(services, kind, context.WordToComplete));
        return argument;
    }

    private static IEnumerable<CompletionItem> Names(CliServices services, ResourceKind kind, string prefix)
    {
        try
        {
            using var budget = new CancellationTokenSource(Budget);
            // Completion sources are synchronous; a CLI process has no synchronization context to deadlock on.
            var body = Task.Run(async () => await (await services.ConnectAsync(budget.Token))
                .GetAsync($"{kind.Collection}?limit=1000", budget.Token), budget.Token).GetAwaiter().GetResult();
            return [.. (body?[kind.Collection] as JsonArray ?? []).Select(i => i?["name"]?.ToString())
                .OfType<string>()
                .Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
                .Distinct()
                .Order(StringComparer.Ordinal)
                .Select(n => new CompletionItem(n))];
        }
        catch (Exception e) when (e is CliException or OperationCanceledException or HttpRequestException)
        {
            return [];
        }
    }
}
