using System.Text.Json.Serialization;

namespace Hoard.Server.Dashboard.Instance;

/// <summary>The end of a published log, as <c>GET /instances/{id}/log/{name}?lines=N</c> answers it.</summary>
public sealed record LogTail(string Name, int Lines, string Contents);

internal sealed record LogTailEnvelope(LogTail Log);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(LogTailEnvelope))]
internal sealed partial class LogTailJson : JsonSerializerContext;
