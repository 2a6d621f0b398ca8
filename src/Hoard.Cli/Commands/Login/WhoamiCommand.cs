using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Http;

namespace Hoard.Cli.Commands.Login;

/// <summary><c>hoard whoami</c>: who the commands run as, in which project, against which server.</summary>
internal static class WhoamiCommand
{
    public static Command Create(CliServices services) =>
        new Command("whoami", "Show the user, project and endpoint commands use.").Runs(services, async context =>
        {
            var client = await context.ClientAsync();
            var from = Credentials.FromEnvironment(services.Environment) is null ? services.Sessions.Path : "OS_* environment variables";
            context.Output.Show(View(client.Session, from));
        });

    public static JsonObject View(Session session, string source) => new()
    {
        ["user"] = session.UserName,
        ["project"] = session.ProjectName,
        ["project_id"] = session.ProjectId,
        ["roles"] = new JsonArray([.. session.Roles.Select(r => (JsonNode)r)]),
        ["auth_url"] = session.AuthUrl,
        ["database_endpoint"] = session.DatabaseUrl,
        ["expires_at"] = session.ExpiresAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture),
        ["credentials_from"] = source,
    };
}
