namespace Hoard.Persistence;

/// <summary>Which database holds the state: a SQLite file of one server, or PostgreSQL shared by several.</summary>
public enum StateDbKind
{
    Sqlite,
    PostgreSql,
}
