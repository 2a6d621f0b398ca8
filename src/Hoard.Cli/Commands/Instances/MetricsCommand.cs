using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Output;

namespace Hoard.Cli.Commands.Instances;

/// <summary><c>hoard instance metrics</c>: the latest sample of an instance's metrics, or the history the server keeps.</summary>
internal static class MetricsCommand
{
    public static Command Create(CliServices services)
    {
        var instance = InstanceOperations.Argument(services);
        var history = new Option<bool>("--history") { Description = "Every sample the server keeps (about two minutes), oldest first." };
        return new Command("metrics", "Show an instance's connections, queries per second, CPU, memory, volume use and replication lag.")
            .With(instance, history).Runs(services, async context =>
            {
                var id = await InstanceOperations.IdAsync(context, context.Get(instance));
                var body = await (await context.ClientAsync()).GetAsync($"instances/{id}/metrics", context.Cancellation);
                var samples = body?["metrics"] as JsonArray ?? [];
                var output = context.Output;
                var forPeople = output.Format == OutputFormat.Table;
                if (context.Get(history))
                {
                    output.List(forPeople ? new JsonArray([.. samples.OfType<JsonObject>().Select(MetricsSampleView.ForPeople)]) : samples,
                        MetricsSampleView.Columns);
                }
                else if (samples.LastOrDefault() is JsonObject latest)
                {
                    output.Show(forPeople ? MetricsSampleView.ForPeople(latest) : latest);
                }
                else
                {
                    output.Message($"No metrics of instance {context.Get(instance)} yet: they come with its heartbeats, every few seconds.");
                    if (!forPeople)
                    {
                        output.Show([]);
                    }
                }
            });
    }
}
