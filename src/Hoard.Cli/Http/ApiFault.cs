using System.Text.Json.Nodes;

namespace Hoard.Cli.Http;

/// <summary>
/// Turns an error answer into one line: Trove's <c>{"badRequest":{"code":400,"message":"…"}}</c> and Keystone's
/// <c>{"error":{"code":401,"message":"…"}}</c> both carry their message in the body's only property.
/// </summary>
internal static class ApiFault
{
    public static CliException ToException(int status, string? reason, JsonNode? body)
    {
        var message = Message(body) ?? (string.IsNullOrEmpty(reason) ? "The server refused the request." : reason + ".");
        var exitCode = status switch
        {
            401 => ExitCodes.Auth,
            404 => ExitCodes.NotFound,
            _ => ExitCodes.Failed,
        };
        return new CliException($"{message.TrimEnd()} (HTTP {status})", exitCode);
    }

    private static string? Message(JsonNode? body) => body switch
    {
        JsonObject { Count: 1 } fault when fault.First().Value is JsonObject inner && inner["message"] is JsonValue text => Line(text.ToString()),
        JsonObject plain when plain["message"] is JsonValue text => Line(text.ToString()),
        JsonValue text => Line(text.ToString()),
        _ => null,
    };

    /// <summary>Messages are single lines to the user, whatever the server put in them.</summary>
    private static string Line(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
