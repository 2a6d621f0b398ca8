using Dapper;
using Hoard.Persistence;
using Hoard.Tests.Shared;

namespace Hoard.Core.Tests.Persistence;

/// <summary>
/// Migrating a PostgreSQL state DB: the same tables and columns as SQLite's at every version, and servers that start at
/// once apply each version exactly once.
/// </summary>
[Collection(PostgreSqlStateCollection.Name)]
public sealed class StateDbMigrationTests(PostgreSqlStateServer server)
{
    public static string? SkipReason => PostgreSqlStateServer.SkipReason;

    [StateDbFact]
    public async Task ServersMigratingAtOnce_ApplyEveryVersionOnce()
    {
        var name = await server.CreateDatabaseAsync();
        try
        {
            await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() =>
                StateDb.PostgreSql(server.ConnectionString(name)).MigrateAsync(CancellationToken.None))));
            await StateDb.PostgreSql(server.ConnectionString(name)).MigrateAsync(CancellationToken.None);

            await using var connection = await StateDb.PostgreSql(server.ConnectionString(name)).OpenAsync(CancellationToken.None);
            var versions = (await connection.QueryAsync<long>("SELECT version FROM schema_version ORDER BY version")).ToList();
            Assert.Equal(Enumerable.Range(1, StateDb.SchemaVersion).Select(v => (long)v), versions);
        }
        finally
        {
            await server.DropDatabaseAsync(name);
        }
    }

    [StateDbFact]
    public async Task PostgreSql_HasTheSameTablesAndColumnsAsSqlite()
    {
        await using var sqlite = await TestStateDb.SqliteAsync();
        await using var pg = await TestStateDb.PostgreSqlAsync(server);

        await using var s = await sqlite.Db.OpenAsync(CancellationToken.None);
        var sqliteColumns = (await s.QueryAsync<(string Table, string Column, string Type, long NotNull)>(
                "SELECT m.name, p.name, p.type, p.\"notnull\" + p.pk FROM sqlite_master m JOIN pragma_table_info(m.name) p " +
                "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"))
            .Select(c => $"{c.Table}.{c.Column} {(c.Type == "INTEGER" ? "bigint" : "text")} {(c.NotNull != 0 ? "not null" : "null")}")
            .Order(StringComparer.Ordinal).ToList();
        await using var p = await pg.Db.OpenAsync(CancellationToken.None);
        var pgColumns = (await p.QueryAsync<(string Table, string Column, string Type, string Nullable)>(
                "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public'"))
            .Select(c => $"{c.Table}.{c.Column} {c.Type} {(c.Nullable == "NO" ? "not null" : "null")}")
            .Order(StringComparer.Ordinal).ToList();

        // A key column is NOT NULL in PostgreSQL; SQLite only reports it as part of the key (pk).
        Assert.Equal(sqliteColumns, pgColumns);
        Assert.Contains("instance_faults.id bigint not null", pgColumns);
    }
}
