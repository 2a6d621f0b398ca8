namespace Hoard.Contracts.Conductor;

/// <summary>
/// What the guest sampled from its database server for a heartbeat. Counters are cumulative since the server started:
/// hoard-server turns two consecutive reports into rates, so a lost heartbeat costs no accuracy.
/// </summary>
/// <param name="Connections">Client connections open now (MariaDB Threads_connected, PostgreSQL backends, Redis clients).</param>
/// <param name="QueriesTotal">Statements or commands served so far (MariaDB Questions, PostgreSQL transactions, Redis commands).</param>
/// <param name="MemoryBytes">Resident memory of the server's processes.</param>
/// <param name="CpuSecondsTotal">CPU time the server's processes have used.</param>
public sealed record DatastoreMetricsReport(long Connections, long QueriesTotal, long? MemoryBytes = null, double? CpuSecondsTotal = null);
