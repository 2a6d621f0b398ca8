using System.Text.Json.Nodes;
using Hoard.Server.Trove;

namespace Hoard.Server.Apis;

/// <summary>Keystone's JSON bodies and its error format, <c>{"error": {"code", "title", "message"}}</c>.</summary>
internal static class KeystoneReply
{
    public static IResult Json(JsonNode body, int status = 200) =>
        Results.Text(body.ToJsonString(Reply.Output), "application/json", System.Text.Encoding.UTF8, status);

    public static IResult Error(int code, string title, string message) =>
        Json(new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["title"] = title, ["message"] = message } }, code);

    public static IResult Unauthorized() => Error(401, "Unauthorized", "The request you have made requires authentication.");

    public static IResult Forbidden() => Error(403, "Forbidden", "You are not authorized to perform the requested action.");

    public static IResult BadRequest(string message) => Error(400, "Bad Request", message);

    public static IResult NotFound(string kind, string id) => Error(404, "Not Found", $"Could not find {kind}: {id}.");

    public static IResult Conflict(string kind, string name) =>
        Error(409, "Conflict", $"Conflict occurred attempting to store {kind} - Duplicate entry found with name {name}.");

    public static IResult NoContent() => Results.StatusCode(204);

    /// <summary>The object under <paramref name="key"/> of a JSON request body; null if the body is not that.</summary>
    public static async Task<JsonObject?> ReadAsync(HttpRequest request, string key, CancellationToken cancellationToken)
    {
        try
        {
            return (await JsonNode.ParseAsync(request.Body, cancellationToken: cancellationToken))?[key] as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>A list body with Keystone's pagination links (Hoard never pages identity lists).</summary>
    public static IResult List(HttpRequest request, string key, IEnumerable<JsonNode> items) => Json(new JsonObject
    {
        [key] = new JsonArray([.. items]),
        ["links"] = new JsonObject { ["self"] = $"{request.Scheme}://{request.Host}{request.Path}", ["previous"] = null, ["next"] = null },
    });
}
