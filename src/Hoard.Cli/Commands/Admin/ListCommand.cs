using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Output;

namespace Hoard.Cli.Commands.Admin;

internal static class ListCommand
{
    private static readonly Column[] Columns =
    [
        new("ID", "id"), new("Name", "name"), new("Project", "tenant_id"), new("Status", "status"), new("Task", "task_description"),
        new("Service", "service_status"), new("Datastore", "datastore.type"), new("Deleted", "deleted"),
    ];

    public static Command Create(CliServices services)
    {
        var project = new Option<string>("--project") { Description = "Only this project's instances (id)." };
        var deleted = new Option<bool>("--deleted") { Description = "Include deleted instances." };
        return new Command("list", "List every project's instances.").With(project, deleted).Runs(services, async context =>
        {
            var query = "limit=1000";
            if (context.Get(project) is { } p)
            {
                query += "&project_id=" + Uri.EscapeDataString(p);
            }

            if (context.Get(deleted))
            {
                query += "&deleted=true";
            }

            var body = await (await context.ClientAsync()).GetAsync("mgmt/instances?" + query, context.Cancellation);
            context.Output.List(body?["instances"] as JsonArray ?? [], Columns);
        });
    }
}
