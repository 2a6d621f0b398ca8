using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Serialization;

namespace Hoard.Cli.Output;

/// <summary>JSON as YAML, keys in the order the server sent them.</summary>
internal static class YamlText
{
    private static readonly ISerializer Serializer = new SerializerBuilder().Build();

    public static string From(JsonNode? node) => Serializer.Serialize(Plain(node));

    private static object? Plain(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(kv => kv.Key, kv => Plain(kv.Value)),
        JsonArray a => a.Select(Plain).ToList(),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number when v.TryGetValue<long>(out var whole) => whole,
            JsonValueKind.Number => v.GetValue<double>(),
            _ => v.ToString(),
        },
        _ => node.ToJsonString(),
    };
}
