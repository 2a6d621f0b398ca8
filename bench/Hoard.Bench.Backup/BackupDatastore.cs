namespace Hoard.Bench.Backup;

/// <summary>A datastore this bench measures: what to ask Hoard for, and where its data directory is on the volume.</summary>
/// <param name="DataSubdirectory">The server's data directory inside the instance's volume.</param>
/// <param name="NotCounted">Subdirectories of the data directory left out of its size (PostgreSQL's WAL, which a base backup copies only in part).</param>
internal sealed record BackupDatastore(string Type, string Version, string Title, string Tool, string DataSubdirectory, string[] NotCounted)
{
    public static readonly BackupDatastore MariaDb = new("mariadb", "10.11", "MariaDB 10.11", "mariadb-backup", "mysql", []);

    public static readonly BackupDatastore PostgreSql = new("postgresql", "15", "PostgreSQL 15", "pg_basebackup", "pgdata", ["pg_wal"]);

    public static BackupDatastore Named(string type) => type switch
    {
        "mariadb" => MariaDb,
        "postgresql" => PostgreSql,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "No backup bench for this datastore."),
    };
}
