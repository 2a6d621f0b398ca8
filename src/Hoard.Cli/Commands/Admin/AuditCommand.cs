using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Output;

namespace Hoard.Cli.Commands.Admin;

/// <summary><c>hoard admin audit</c>: the API's changing requests (never their bodies), newest first.</summary>
internal static class AuditCommand
{
    private static readonly Column[] Columns =
    [
        new("Time", "time"), new("User", "user_id"), new("Project", "project_id"), new("Method", "method"), new("Path", "path"),
        new("Status", "status"), new("Request", "request_id"),
    ];

    public static Command Create(CliServices services)
    {
        var project = new Option<string>("--project") { Description = "Only this project's requests (id)." };
        var limit = ListLimit.Create("requests");
        return new Command("audit", "List the audit log: every POST, PUT, PATCH and DELETE of the API, newest first.").With(project, limit)
            .Runs(services, async context =>
            {
                var path = QueryString.Path("mgmt/audit", ("project_id", context.Get(project)), ("limit", context.Get(limit)));
                var body = await (await context.ClientAsync()).GetAsync(path, context.Cancellation);
                context.Output.List(body?["audit"] as JsonArray ?? [], Columns);
            });
    }
}
