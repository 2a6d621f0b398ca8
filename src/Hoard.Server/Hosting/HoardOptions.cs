namespace Hoard.Server.Hosting;

/// <summary>Settings of hoard-server (section <c>Hoard</c>; environment <c>Hoard__DataDir</c>; or <c>--Hoard:DataDir</c>).</summary>
public sealed class HoardOptions
{
    public string DataDir { get; set; } = "/var/lib/hoard";

    /// <summary>Where the API listens.</summary>
    public string Listen { get; set; } = "http://127.0.0.1:8779";

    /// <summary>The base URL advertised in the identity catalog; defaults to <see cref="Listen"/>.</summary>
    public string? PublicUrl { get; set; }

    public string Region { get; set; } = "RegionOne";

    public double TokenLifetimeHours { get; set; } = 12;

    /// <summary>How long a new instance may take from BUILD to ACTIVE before it becomes ERROR.</summary>
    public double BuildTimeoutSeconds { get; set; } = 180;

    /// <summary>A guest silent this long is reported as SHUTDOWN.</summary>
    public double HeartbeatExpirySeconds { get; set; } = 20;

    public double HeartbeatIntervalSeconds { get; set; } = 2;

    /// <summary>Trove's max_accepted_volume_size (GB).</summary>
    public int MaxVolumeSizeGb { get; set; } = 100;

    /// <summary>Quotas of a project no admin has set quotas for; -1 is unlimited.</summary>
    public int DefaultInstanceQuota { get; set; } = 10;

    /// <summary>Sum of the flavors' RAM (MB) of a project's instances; -1 (unlimited) as in Trove.</summary>
    public int DefaultRamQuotaMb { get; set; } = -1;

    public int DefaultBackupQuota { get; set; } = 50;

    public int DefaultVolumeQuotaGb { get; set; } = 200;

    /// <summary>Path of hoard-guest.dll (defaults to the one next to the server).</summary>
    public string? GuestAssembly { get; set; }

    public string OsUser { get; set; } = "dbaas";

    /// <summary><c>auto</c> (loopfs when root and loop devices work, else directory), <c>loopfs</c> or <c>directory</c>.</summary>
    public string VolumeProvider { get; set; } = "auto";

    /// <summary>Instances get loopback addresses 127.B.x.y; servers sharing a host need different values of B.</summary>
    public int LoopbackSecondOctet { get; set; } = 100;

    public string BaseUrl => (PublicUrl ?? Listen).TrimEnd('/');

    public string StateDbPath => Path.Combine(DataDir, "state.db");

    public string BusSocket => Path.Combine(DataDir, "run", "bus.sock");
}
