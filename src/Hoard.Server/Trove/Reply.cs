using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hoard.Server.Trove;

/// <summary>JSON answers. Views are built as JSON nodes, shaped exactly like Trove's view dictionaries.</summary>
internal static class Reply
{
    /// <summary>Plain UTF-8 output like Trove's (no \u escapes for '+', quotes or non-ASCII names).</summary>
    public static readonly JsonSerializerOptions Output = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IResult Json(JsonNode body, int status = 200) => new JsonReply(writer => body.WriteTo(writer, Output), status);

    /// <summary>A body written straight to UTF-8 (a list's views, <see cref="InstanceListView"/>), bytes as a node's would be.</summary>
    public static IResult Json(Action<Utf8JsonWriter> write, int status = 200) => new JsonReply(write, status);

    public static IResult Accepted() => Results.StatusCode(202);

    public static IResult NoContent() => Results.StatusCode(204);

    public static async Task WriteFaultAsync(HttpContext context, TroveFault fault)
    {
        var body = new JsonObject { [fault.Name] = new JsonObject { ["code"] = fault.Code, ["message"] = fault.Message } };
        context.Response.StatusCode = fault.Code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(Output));
    }
}
