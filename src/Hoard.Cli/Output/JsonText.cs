using System.Text.Json.Nodes;

namespace Hoard.Cli.Output;

/// <summary>Reading API answers for people: values at dotted paths, and any value as one short piece of text.</summary>
internal static class JsonText
{
    public static JsonNode? At(JsonNode? node, string path)
    {
        foreach (var key in path.Split('.'))
        {
            node = node is JsonObject o ? o[key] : null;
        }

        return node;
    }

    public static string Text(JsonNode? node) => node switch
    {
        null => "",
        JsonValue value => value.ToString(),
        JsonArray array when array.All(i => i is JsonValue or null) => string.Join(", ", array.Select(Text)),
        JsonArray array when array.All(i => i is JsonObject o && o["name"] is JsonValue) => string.Join(", ", array.Select(i => Text(i!["name"]))),
        JsonObject flat when Shown(flat).All(kv => kv.Value is JsonValue or null) =>
            string.Join(", ", Shown(flat).Select(kv => $"{kv.Key}={Text(kv.Value)}")),
        _ => node.ToJsonString(),
    };

    /// <summary>An object's properties worth reading: links are for programs, and are left out.</summary>
    public static IEnumerable<KeyValuePair<string, JsonNode?>> Shown(JsonObject item) => item.Where(kv => kv.Key != "links");
}
