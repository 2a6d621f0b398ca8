namespace Hoard.Providers.Local;

/// <summary>Settings of the local compute and directory volume providers.</summary>
public sealed class LocalOptions
{
    /// <summary>Root of instance directories and volumes.</summary>
    public required string DataDir { get; set; }

    /// <summary>Unix socket of the embedded bus that guests connect to.</summary>
    public required string BusSocket { get; set; }

    /// <summary>
    /// The RabbitMQ broker guests connect to instead of <see cref="BusSocket"/>; null for the embedded bus. It carries a
    /// password: guests get it only in their 0600 config file.
    /// </summary>
    public Uri? RabbitMqUrl { get; set; }

    /// <summary>Path of hoard-guest.dll; by default the one next to the server.</summary>
    public string? GuestAssembly { get; set; }

    /// <summary>Unprivileged OS user that guests and database servers run as, when the server runs as root.</summary>
    public string OsUser { get; set; } = "dbaas";

    /// <summary>Instances get addresses 127.B.x.y with this second octet (127.0.0.0/16 is left alone).</summary>
    public int LoopbackSecondOctet { get; set; } = 100;

    /// <summary>
    /// Addresses instances may take instead of 127.B.x.y (a host agent's pool, reachable from other machines); each must
    /// already be configured on an interface of the host. Empty: loopback addresses.
    /// </summary>
    public IReadOnlyList<string> AddressPool { get; set; } = [];

    public double HeartbeatIntervalSeconds { get; set; } = 2;

    /// <summary>Guests write their log as one JSON object per line.</summary>
    public bool JsonLogs { get; set; }

    public string InstancesDir => Path.Combine(DataDir, "instances");

    public string VolumesDir => Path.Combine(DataDir, "volumes");

    public string InstanceDir(string instanceId) => Path.Combine(InstancesDir, instanceId);
}
