namespace Hoard.Guest.Datastores.PostgreSql;

/// <summary>Where the PostgreSQL binaries are and how long to wait for them; the defaults fit Debian's postgresql-15.</summary>
internal sealed record PostgreSqlOptions
{
    /// <summary>The unprivileged OS user the server runs as when the guest itself runs as root (initdb refuses root).</summary>
    public string ServiceUser { get; init; } = "dbaas";

    public string BinDirectory { get; init; } = "/usr/lib/postgresql/15/bin";

    public string InitDbPath => Path.Combine(BinDirectory, "initdb");

    public string ServerPath => Path.Combine(BinDirectory, "postgres");

    /// <summary>The same major version as the server: pg_basebackup refuses a newer server.</summary>
    public string BaseBackupPath => Path.Combine(BinDirectory, "pg_basebackup");

    /// <summary>Reads WAL files: a point-in-time restore looks for the first commit after its target with it.</summary>
    public string WalDumpPath => Path.Combine(BinDirectory, "pg_waldump");

    /// <summary>How long a point-in-time restore's replay of the archived WAL may take, from the first start to the promotion.</summary>
    public TimeSpan RecoveryTimeout { get; init; } = TimeSpan.FromHours(2);

    /// <summary>From starting the server to its first answer.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>From asking for a fast shutdown (SIGINT) to killing it.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Connect and command timeout of the guest's own connections.</summary>
    public TimeSpan QueryTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>From asking the server to reload its configuration to a new session seeing it.</summary>
    public TimeSpan ReloadTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long after a start an unanswering server counts as starting rather than blocked.</summary>
    public TimeSpan StartupGrace { get; init; } = TimeSpan.FromSeconds(60);
}
