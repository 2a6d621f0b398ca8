namespace Hoard.Guest.Datastores.Redis;

/// <summary>Where the Redis binary is and how long to wait for it; the defaults fit Debian's package.</summary>
internal sealed record RedisOptions
{
    /// <summary>The unprivileged OS user the server runs as when the guest itself runs as root.</summary>
    public string ServiceUser { get; init; } = "dbaas";

    public string ServerPath { get; init; } = "/usr/bin/redis-server";

    /// <summary>From starting the server to its first PONG (loading a large AOF can take a while).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>From asking the server to shut down to killing it.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Connect, read and write timeout of the guest's own connections.</summary>
    public TimeSpan QueryTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a backup's snapshot, or a restore's first append-only file, may take to write.</summary>
    public TimeSpan SnapshotTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How long a replica's prepare waits for its first full sync from the source.</summary>
    public TimeSpan ReplicaSyncTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// How long a demoted source holds its clients' writes (<c>CLIENT PAUSE ... WRITE</c>) if neither promote nor
    /// attach follows; the guest pauses it again when it restarts the server while demoted.
    /// </summary>
    public TimeSpan DemotePause { get; init; } = TimeSpan.FromHours(24);

    /// <summary>How long after a start an unanswering server counts as starting rather than blocked.</summary>
    public TimeSpan StartupGrace { get; init; } = TimeSpan.FromSeconds(60);
}
