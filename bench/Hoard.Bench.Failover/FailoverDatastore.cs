namespace Hoard.Bench.Failover;

/// <summary>A datastore this bench measures: what to ask Hoard for, how to write to it, and its by-hand baseline.</summary>
/// <param name="HasDatabases">Whether the create asks for a database the user gets access to (Redis has none).</param>
/// <param name="Table">The writer's table (or key space) at a given address.</param>
/// <param name="ByHand">The by-hand server for the crash-restart baseline, in a work directory, run as an OS user.</param>
internal sealed record FailoverDatastore(
    string Type, string Version, string Title, bool HasDatabases,
    Func<WriteTarget, ISequenceTable> Table,
    Func<string, string, IByHandServer> ByHand)
{
    public static readonly FailoverDatastore MariaDb = new("mariadb", "10.11", "MariaDB 10.11", HasDatabases: true,
        target => new MariaDbSequenceTable(target), (work, user) => new ByHandMariaDbServer(work, user));

    public static readonly FailoverDatastore PostgreSql = new("postgresql", "15", "PostgreSQL 15", HasDatabases: true,
        target => new PostgreSqlSequenceTable(target), (work, user) => new ByHandPostgreSqlServer(work, user));

    public static readonly FailoverDatastore Redis = new("redis", "7.0", "Redis 7.0", HasDatabases: false,
        target => new RedisSequenceTable(target), (work, user) => new ByHandRedisServer(work, user));

    /// <summary>Every datastore, in the order the bench measures them.</summary>
    public static IReadOnlyList<FailoverDatastore> All { get; } = [MariaDb, PostgreSql, Redis];

    public static FailoverDatastore Named(string type) => All.Single(d => d.Type == type);
}
