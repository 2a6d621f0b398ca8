using System.Text.Json.Nodes;

namespace Hoard.Server.Trove;

/// <summary>JSON answers. Views are built as JSON nodes, shaped exactly like Trove's view dictionaries.</summary>
internal static class Reply
{
    public static IResult Json(JsonNode body, int status = 200) =>
        Results.Text(body.ToJsonString(), "application/json", System.Text.Encoding.UTF8, status);

    public static IResult Accepted() => Results.StatusCode(202);

    public static IResult NoContent() => Results.StatusCode(204);

    public static async Task WriteFaultAsync(HttpContext context, TroveFault fault)
    {
        var body = new JsonObject { [fault.Name] = new JsonObject { ["code"] = fault.Code, ["message"] = fault.Message } };
        context.Response.StatusCode = fault.Code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString());
    }
}
