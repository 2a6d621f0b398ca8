namespace Hoard.Guest.Datastores.MariaDb;

/// <summary>Where the MariaDB binaries are and how long to wait for them; the defaults fit Debian's packages.</summary>
internal sealed record MariaDbOptions
{
    /// <summary>The unprivileged OS user the server runs as when the guest itself runs as root.</summary>
    public string ServiceUser { get; init; } = "dbaas";

    public string InstallDbPath { get; init; } = "/usr/bin/mariadb-install-db";

    public string ServerPath { get; init; } = "/usr/sbin/mariadbd";

    /// <summary>mariadb-backup and mbstream, from Debian's mariadb-backup package.</summary>
    public string BackupPath { get; init; } = "/usr/bin/mariadb-backup";

    public string MbstreamPath { get; init; } = "/usr/bin/mbstream";

    /// <summary>Reads binary log files for a point-in-time restore's replay (Debian's mariadb-client).</summary>
    public string BinlogToolPath { get; init; } = "/usr/bin/mariadb-binlog";

    /// <summary>The logical strategy's dump tool and the client that replays it, from Debian's mariadb-client.</summary>
    public string DumpPath { get; init; } = "/usr/bin/mariadb-dump";

    public string ClientPath { get; init; } = "/usr/bin/mariadb";

    /// <summary>From starting the server to its first answer.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>From asking the server to shut down to killing it.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Connect and read timeout of the guest's own connections.</summary>
    public TimeSpan QueryTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a backup waits for InnoDB to flush its checkpoint up to date first (see <see cref="MariaDbCheckpoint"/>).</summary>
    public TimeSpan BackupCheckpointWait { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a new or re-pointed replica may take to connect to its source before the verb fails with its error.</summary>
    public TimeSpan ReplicaConnectTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How long a promote waits for the replica to apply what it received before it stops following.</summary>
    public TimeSpan PromoteApplyWait { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a demote waits for the customer sessions it ended to be gone.</summary>
    public TimeSpan DemoteSessionWait { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long after a start an unanswering server counts as starting rather than blocked.</summary>
    public TimeSpan StartupGrace { get; init; } = TimeSpan.FromSeconds(60);
}
