using System.Text.Json.Serialization;

namespace Hoard.Providers.Local;

/// <summary>The guest's config file; the guest reads the same shape (GuestConfig).</summary>
internal sealed record GuestLaunchConfig(
    string InstanceId, string Manager, string BusSocket, string BusSecret, string Address, int Port, GuestPaths Paths,
    double HeartbeatIntervalSeconds, string TemplateCache, bool JsonLogs, Uri? RabbitMqUrl);

internal sealed record GuestPaths(string Data, string Run, string Log, string Etc);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(GuestLaunchConfig))]
internal sealed partial class LocalJson : JsonSerializerContext;
