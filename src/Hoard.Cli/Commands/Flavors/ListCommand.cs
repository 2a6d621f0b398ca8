using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Output;

namespace Hoard.Cli.Commands.Flavors;

internal static class ListCommand
{
    private static readonly Column[] Columns =
        [new("ID", "str_id"), new("Name", "name"), new("RAM (MB)", "ram"), new("vCPUs", "vcpus"), new("Disk (GB)", "disk")];

    public static Command Create(CliServices services)
    {
        var datastore = new Option<string>("--datastore") { Description = "Only the flavors this datastore version may use (with --datastore-version)." };
        var version = new Option<string>("--datastore-version") { Description = "The datastore's version." };
        return new Command("list", "List flavors.").With(datastore, version).Runs(services, async context =>
        {
            var path = (context.Get(datastore), context.Get(version)) switch
            {
                (null, null) => "flavors",
                ({ } ds, { } v) => $"datastores/{Uri.EscapeDataString(ds)}/versions/{Uri.EscapeDataString(v)}/flavors",
                _ => throw CliException.Usage("--datastore and --datastore-version go together."),
            };
            var body = await (await context.ClientAsync()).GetAsync(path, context.Cancellation);
            context.Output.List(body?["flavors"] as JsonArray ?? [], Columns);
        });
    }
}
