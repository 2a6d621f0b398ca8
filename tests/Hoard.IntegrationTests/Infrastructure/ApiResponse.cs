using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>An HTTP answer with its body parsed as JSON when it is JSON.</summary>
public sealed record ApiResponse(string Method, string Path, int Status, HttpResponseHeaders Headers, string Text)
{
    public JsonNode? Json { get; } = Parse(Text);

    public JsonObject Object => Json as JsonObject ?? throw new InvalidOperationException($"Not a JSON object: {this}");

    public override string ToString() => $"{Method} {Path} → {Status}: {(Text.Length > 2000 ? Text[..2000] + "…" : Text)}";

    private static JsonNode? Parse(string text)
    {
        try
        {
            return text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
