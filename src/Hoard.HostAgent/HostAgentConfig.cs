using System.Text.Json;
using System.Text.Json.Serialization;
using Hoard.Providers.Local;

namespace Hoard.HostAgent;

/// <summary>
/// The agent's config file (JSON, snake_case). It holds the broker password, so it should be readable by root only;
/// the agent warns when others can read it. Nothing secret is taken from the command line. Settable properties, not
/// init-only ones: the source-generated reader would otherwise reset every setting the file leaves out to null.
/// </summary>
internal sealed class HostAgentConfig
{
    /// <summary>Unique among the server's hosts; the agent answers on topic <c>host.&lt;name&gt;</c>.</summary>
    public required string Name { get; set; }

    /// <summary>The host's own address, shown to admins.</summary>
    public required string Address { get; set; }

    /// <summary>The RabbitMQ broker hoard-server uses (<c>amqp://user:password@host:port/vhost</c>); guests started here get it too.</summary>
    public required Uri RabbitMqUrl { get; set; }

    /// <summary>Instance directories, volumes and the guest's files on this machine.</summary>
    public required string DataDir { get; set; }

    /// <summary>
    /// Addresses instances on this host take, each already configured on an interface of the host and reachable from
    /// hoard-server and the clients; entries are addresses or ranges <c>10.0.0.10-10.0.0.50</c> (last octet only).
    /// </summary>
    public required IReadOnlyList<string> AddressPool { get; set; }

    /// <summary>RAM offered to instances (MB); by default the machine's total.</summary>
    public long? RamMb { get; set; }

    /// <summary>Disk offered to volumes (GB); by default the size of the filesystem holding <see cref="DataDir"/>.</summary>
    public long? DiskGb { get; set; }

    public double ReportIntervalSeconds { get; set; } = 2;

    public string OsUser { get; set; } = "dbaas";

    /// <summary><c>auto</c>, <c>loopfs</c> or <c>directory</c>, as hoard-server's VolumeProvider.</summary>
    public string VolumeProvider { get; set; } = "auto";

    public double HeartbeatIntervalSeconds { get; set; } = 2;

    public int LoopbackSecondOctet { get; set; } = 100;

    public string? GuestAssembly { get; set; }

    public bool JsonLogs { get; set; }

    public static HostAgentConfig Load(string path)
    {
        using var stream = File.OpenRead(path);
        var config = JsonSerializer.Deserialize(stream, HostAgentConfigJson.Default.HostAgentConfig)
                     ?? throw new InvalidDataException($"{path} is empty.");
        if (string.IsNullOrWhiteSpace(config.Name) || config.Name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            throw new InvalidDataException($"{path}: name must be letters, digits, '-' or '_'.");
        }

        if (config.RabbitMqUrl.Scheme is not ("amqp" or "amqps"))
        {
            // The URL itself is not quoted: it carries the broker password.
            throw new InvalidDataException($"{path}: rabbit_mq_url must be an amqp:// or amqps:// URL.");
        }

        return config;
    }

    /// <summary>The pool with its ranges expanded.</summary>
    public IReadOnlyList<string> ExpandedPool() => AddressPools.Expand(AddressPool);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(HostAgentConfig))]
internal sealed partial class HostAgentConfigJson : JsonSerializerContext;
