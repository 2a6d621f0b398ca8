using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hoard.Contracts.Hosts;

/// <summary>Source-generated serialization of what crosses the bus between hoard-server and host agents.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HostRequest))]
[JsonSerializable(typeof(HostReply))]
[JsonSerializable(typeof(HostReport))]
public sealed partial class HostJson : JsonSerializerContext
{
    public static JsonElement ToElement<T>(T value) =>
        JsonSerializer.SerializeToElement(value, (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)Default.GetTypeInfo(typeof(T))!);

    public static T FromElement<T>(JsonElement? value) =>
        value is { } e
            ? JsonSerializer.Deserialize(e, (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)Default.GetTypeInfo(typeof(T))!)
              ?? throw new JsonException($"Empty {typeof(T).Name}.")
            : throw new JsonException($"Missing {typeof(T).Name}.");
}
