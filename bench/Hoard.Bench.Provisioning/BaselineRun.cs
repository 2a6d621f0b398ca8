namespace Hoard.Bench.Provisioning;

/// <param name="Init">Everything before the server starts: mkdir + chown + mariadb-install-db, initdb + config, or the config file.</param>
/// <param name="StartToQuery">Server start → first answered query (for PostgreSQL this includes creating the role).</param>
/// <param name="Total">Nothing → first answered query.</param>
/// <param name="IdleMemory">The server after 3 s idle, when asked for.</param>
internal sealed record BaselineRun(TimeSpan Init, TimeSpan StartToQuery, TimeSpan Total, MemoryUse? IdleMemory);
