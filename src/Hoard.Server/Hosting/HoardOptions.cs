namespace Hoard.Server.Hosting;

/// <summary>Settings of hoard-server (section <c>Hoard</c>; environment <c>Hoard__DataDir</c>; or <c>--Hoard:DataDir</c>).</summary>
public sealed class HoardOptions
{
    public string DataDir { get; set; } = "/var/lib/hoard";

    /// <summary>
    /// The roles this process runs (see <see cref="HoardRoles"/>): a comma-separated list of <c>api</c>, <c>taskmanager</c>,
    /// <c>conductor</c>; empty for all three. <c>--roles</c> on the command line overrides it. Anything but all three needs
    /// the <c>rabbitmq</c> bus, which the processes share.
    /// </summary>
    public string Roles { get; set; } = "";

    /// <summary>
    /// How long a task manager's claim on a workflow, or a process's on a singleton job, lasts unless renewed (every third
    /// of it): the longest a dead task manager's work waits before another takes it over.
    /// </summary>
    public double LeaseSeconds { get; set; } = 15;

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

    /// <summary>Automatic failover: a source with replicas that has not reported its server serving for this long is fenced and replaced.</summary>
    public double FailoverAfterSeconds { get; set; } = 2.5;

    /// <summary>Turns automatic failover off (eject_replica_source stays available).</summary>
    public bool AutomaticFailover { get; set; } = true;

    /// <summary>In asynchronous mode a replica lagging more than this (seconds, by its last report) is never promoted automatically.</summary>
    public double FailoverMaxLagSeconds { get; set; } = 30;

    /// <summary>The first port of replication sets' write endpoints (each set takes the next).</summary>
    public int ReplicationEndpointFirstPort { get; set; } = 40001;

    /// <summary>How often the host is compared with the state DB for leftovers no instance owns.</summary>
    public double OrphanScanIntervalSeconds { get; set; } = 60;

    /// <summary>
    /// What belongs to an instance the state DB does not know is removed only once nothing of it changed for this long
    /// (leftovers of a deleted instance go at the next scan: its delete already ran).
    /// </summary>
    public double OrphanGraceSeconds { get; set; } = 300;

    /// <summary>Trove's max_accepted_volume_size (GB).</summary>
    public int MaxVolumeSizeGb { get; set; } = 100;

    /// <summary>Quotas of a project no admin has set quotas for; -1 is unlimited.</summary>
    public int DefaultInstanceQuota { get; set; } = 10;

    /// <summary>Sum of the flavors' RAM (MB) of a project's instances; -1 (unlimited) as in Trove.</summary>
    public int DefaultRamQuotaMb { get; set; } = -1;

    public int DefaultBackupQuota { get; set; } = 50;

    public int DefaultVolumeQuotaGb { get; set; } = 200;

    /// <summary>How long a backup may run (the guest's tool and the upload together) before it fails.</summary>
    public double BackupTimeoutSeconds { get; set; } = 7200;

    /// <summary>How long a restore may take, from the guest's prepare to a healthy server, before the build fails.</summary>
    public double RestoreTimeoutSeconds { get; set; } = 7200;

    /// <summary>How often backup schedules are checked for runs that are due (and busy instances tried again).</summary>
    public double BackupSchedulerIntervalSeconds { get; set; } = 20;

    /// <summary>
    /// Where backups are stored: <c>local</c> (<see cref="BackupDir"/>), <c>swift</c> (section <c>Hoard:Swift</c>) or
    /// <c>s3</c> (section <c>Hoard:S3</c>). Keys and passwords belong in the environment (<c>Hoard__Swift__Key</c>,
    /// <c>Hoard__S3__SecretKey</c>) or appsettings, never on the command line.
    /// </summary>
    public string BackupStorage { get; set; } = "local";

    public Hoard.Providers.ObjectStorage.Swift.SwiftOptions Swift { get; set; } = new();

    public Hoard.Providers.ObjectStorage.S3.S3Options S3 { get; set; } = new();

    /// <summary>Encrypt backups at rest with AES-256-GCM (a key per project, derived from <see cref="BackupKeyPath"/>).</summary>
    public bool EncryptBackups { get; set; } = true;

    /// <summary>
    /// The base URL guests use to reach this server's backup transfers (<c>/hoard/transfers/…</c>); defaults to
    /// <see cref="BaseUrl"/>. Set it when guests reach the server at another address than users do.
    /// </summary>
    public string? BackupTransferUrl { get; set; }

    /// <summary>
    /// The message bus between the server and its guests: <c>embedded</c> (a Unix socket of this server) or
    /// <c>rabbitmq</c> (section <c>Hoard:RabbitMq</c>; its URL carries a password, so it belongs in the environment).
    /// </summary>
    public string Bus { get; set; } = "embedded";

    public RabbitMqSettings RabbitMq { get; set; } = new();

    /// <summary>
    /// Where the state is kept: <c>sqlite</c> (<see cref="StateDbPath"/>, for one server) or <c>postgresql</c>
    /// (<see cref="StateDbConnectionString"/>, shared by all the servers of a deployment).
    /// </summary>
    public string StateDb { get; set; } = "sqlite";

    /// <summary>
    /// Npgsql's connection string of the <c>postgresql</c> state DB (<c>Host=…;Port=…;Database=…;Username=…</c>). A password
    /// in it belongs in the environment (<c>Hoard__StateDbConnectionString</c>) or appsettings, never on the command line;
    /// or leave it out and set <see cref="StateDbPasswordFile"/>. Never logged.
    /// </summary>
    public string? StateDbConnectionString { get; set; }

    /// <summary>A file (mode 0600) whose first line is the <c>postgresql</c> state DB's password; it wins over one in the connection string.</summary>
    public string? StateDbPasswordFile { get; set; }

    /// <summary>Path of hoard-guest.dll (defaults to the one next to the server).</summary>
    public string? GuestAssembly { get; set; }

    public string OsUser { get; set; } = "dbaas";

    /// <summary><c>auto</c> (loopfs when root and loop devices work, else directory), <c>loopfs</c> or <c>directory</c>.</summary>
    public string VolumeProvider { get; set; } = "auto";

    /// <summary>
    /// What enforces instances' allowed_cidrs: <c>auto</c> (nftables when root and nft works, else none, and
    /// restricting requests are refused), <c>nftables</c> or <c>none</c>.
    /// </summary>
    public string NetworkAccessProvider { get; set; } = "auto";

    /// <summary>
    /// Where instances run: <c>local</c> (processes on this machine) or <c>hosts</c> (machines running hoard-host-agent,
    /// reached over the <c>rabbitmq</c> bus; see docs/distributed.md, "Many hosts").
    /// </summary>
    public string Compute { get; set; } = "local";

    /// <summary>With <c>hosts</c>: a host whose agent has not reported for this long is down (placement skips it).</summary>
    public double HostDownAfterSeconds { get; set; } = 10;

    /// <summary>Instances get loopback addresses 127.B.x.y; servers sharing a host need different values of B.</summary>
    public int LoopbackSecondOctet { get; set; } = 100;

    /// <summary><c>json</c>: hoard-server and its guests write one JSON object per log line (for log shippers); else plain text.</summary>
    public string LogFormat { get; set; } = "text";

    /// <summary>Who validates tokens: the built-in identity (<c>builtin</c>) or an external Keystone (<c>keystone</c>).</summary>
    public Hoard.Server.Identity.IdentitySettings Identity { get; set; } = new();

    /// <summary>The external Keystone of <see cref="Identity"/> mode <c>keystone</c>.</summary>
    public Hoard.Server.Identity.KeystoneSettings Keystone { get; set; } = new();

    /// <summary>Per-project requests per minute, per verb.</summary>
    public RateLimiting.RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>Refusing password logins for a while after repeated wrong passwords.</summary>
    public RateLimiting.LoginLockoutOptions LoginLockout { get; set; } = new();

    public bool JsonLogs => string.Equals(LogFormat, "json", StringComparison.OrdinalIgnoreCase);

    public string BaseUrl => (PublicUrl ?? Listen).TrimEnd('/');

    /// <summary>The <c>sqlite</c> state DB's file.</summary>
    public string StateDbPath => Path.Combine(DataDir, "state.db");

    public string BusSocket => Path.Combine(DataDir, "run", "bus.sock");

    /// <summary>Where the <c>local</c> backup storage keeps backups.</summary>
    public string BackupDir => Path.Combine(DataDir, "backups");

    /// <summary>The 32-byte master key backups' keys are derived from; created (0600) on first use.</summary>
    public string BackupKeyPath => Path.Combine(DataDir, "secrets", "backup.key");

    /// <summary>The dashboard's data-protection key ring (it encrypts the session cookie), in a 0700 directory.</summary>
    public string DashboardKeysDir => Path.Combine(DataDir, "secrets", "dashboard-keys");

    public string TransferBaseUrl => (BackupTransferUrl ?? BaseUrl).TrimEnd('/');
}
