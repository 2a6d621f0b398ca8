using System.Text.Json.Nodes;
using Hoard.Core.Workflows;
using Hoard.Server.Trove;

namespace Hoard.Server.Hosting;

/// <summary>
/// <c>GET /hoard/health</c>, open in every process whatever its roles: what the process runs and, for a task manager, its
/// owner id and the workflows it drives. For load balancers and systemd health checks; it reveals no project data.
/// </summary>
internal static class RoleHealthApi
{
    public const string Path = "/hoard/health";

    public static void MapRoleHealth(this IEndpointRouteBuilder app) =>
        app.MapGet(Path, (HoardRoles roles, ProcessIdentity identity, WorkflowEngine engine) =>
        {
            var body = new JsonObject
            {
                ["status"] = "ok",
                ["roles"] = new JsonArray([.. roles.ToString().Split(',').Select(r => (JsonNode)JsonValue.Create(r))]),
                ["process"] = identity.Id,
            };
            if (roles.TaskManager)
            {
                body["driving"] = engine.Driving.Count;
            }

            return Reply.Json(body);
        });
}
