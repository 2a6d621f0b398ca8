namespace Hoard.Bench.Provisioning;

/// <param name="InstallDb">mkdir + chown + mariadb-install-db.</param>
/// <param name="StartToQuery">mariadbd start → first answered <c>select 1</c>.</param>
/// <param name="Total">Nothing → first answered query.</param>
/// <param name="IdleMemory">mariadbd after 3 s idle, when asked for.</param>
internal sealed record BaselineRun(TimeSpan InstallDb, TimeSpan StartToQuery, TimeSpan Total, MemoryUse? IdleMemory);
