using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hoard.Guest;

/// <summary>
/// Written by the compute provider into the instance directory (mode 0600, owned by the guest's OS user).
/// The bus secret and the broker URL (with its password) live here, never in process arguments.
/// </summary>
internal sealed record GuestConfig
{
    public required string InstanceId { get; init; }
    public required string Manager { get; init; }
    public required string BusSocket { get; init; }
    public required string BusSecret { get; init; }
    /// <summary>When set, the guest joins the RabbitMQ bus at this broker instead of <see cref="BusSocket"/>.</summary>
    public Uri? RabbitMqUrl { get; init; }

    public required string Address { get; init; }
    public required int Port { get; init; }
    public required InstancePaths Paths { get; init; }
    public double HeartbeatIntervalSeconds { get; init; } = 2;

    /// <summary>A directory shared by the guests of this host for ready-made empty data directories, if any.</summary>
    public string? TemplateCache { get; init; }

    /// <summary>Write guest.log as one JSON object per line.</summary>
    public bool JsonLogs { get; init; }

    public static GuestConfig Load(string path) =>
        JsonSerializer.Deserialize(File.ReadAllText(path), GuestConfigJson.Default.GuestConfig)
        ?? throw new InvalidDataException($"Empty guest config {path}.");
}

/// <summary>Where one instance keeps its files. <see cref="Data"/> is the volume's mount point.</summary>
internal sealed record InstancePaths(string Data, string Run, string Log, string Etc);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(GuestConfig))]
internal sealed partial class GuestConfigJson : JsonSerializerContext;
