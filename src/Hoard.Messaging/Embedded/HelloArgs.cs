using System.Text.Json.Serialization;

namespace Hoard.Messaging.Embedded;

internal sealed record HelloArgs(string Identity, string Secret);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(HelloArgs))]
internal sealed partial class HelloJson : JsonSerializerContext;
