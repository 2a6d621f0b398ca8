namespace Hoard.Bench.Provisioning;

/// <summary>One datastore the bench measures: what to ask Hoard for, and what to call things in the report.</summary>
/// <param name="Type">Trove datastore type, and the name on the command line and in guest.log ("mariadb: prepared in").</param>
/// <param name="Port">The port the instance listens on at its address.</param>
/// <param name="HasDatabases">Whether the create asks for a database <c>bench</c> the user gets access to (Redis has none).</param>
/// <param name="ServerProcess">Matches the command line of the instance's database server, together with the instance id.</param>
/// <param name="ServerLabel">What the server process is called in the memory lines.</param>
/// <param name="InitLabel">What the baseline's first step (before the server starts) is called in the report.</param>
internal sealed record DatastoreSpec(
    string Type, string Version, string Title, int Port, bool HasDatabases, string ServerProcess, string ServerLabel, string InitLabel)
{
    public static readonly DatastoreSpec MariaDb =
        new("mariadb", "10.11", "MariaDB 10.11", 3306, HasDatabases: true, "mariadbd", "mariadbd", "install-db");

    public static readonly DatastoreSpec PostgreSql =
        new("postgresql", "15", "PostgreSQL 15", 5432, HasDatabases: true, "bin/postgres", "postgres (postmaster + children)", "initdb+conf");

    public static readonly DatastoreSpec Redis =
        new("redis", "7.0", "Redis 7.0", 6379, HasDatabases: false, "redis-server", "redis-server", "conf");

    /// <summary>Every datastore, in the order the bench measures them.</summary>
    public static IReadOnlyList<DatastoreSpec> All { get; } = [MariaDb, PostgreSql, Redis];
}
