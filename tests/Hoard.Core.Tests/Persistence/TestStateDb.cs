using System.Runtime.CompilerServices;
using Hoard.Persistence;
using Hoard.Tests.Shared;
using Npgsql;

namespace Hoard.Core.Tests.Persistence;

/// <summary>A fresh, migrated state DB of one kind for one test, and how to remove it.</summary>
public sealed class TestStateDb(StateDb db, Func<Task> drop) : IAsyncDisposable
{
    public StateDb Db { get; } = db;

    /// <summary>A SQLite file in the temp dir.</summary>
    public static async Task<TestStateDb> SqliteAsync()
    {
        var temp = await TempStateDb.CreateAsync();
        return new TestStateDb(temp.Db, () => temp.DisposeAsync().AsTask());
    }

    /// <summary>
    /// A database of its own on the private PostgreSQL: a copy of one migrated once per server, which is quicker than
    /// migrating each (StateDbMigrationTests migrate empty databases).
    /// </summary>
    public static async Task<TestStateDb> PostgreSqlAsync(PostgreSqlStateServer server)
    {
        var name = await server.CreateDatabaseAsync(await Templates.GetValue(server, MigrateTemplateAsync));
        var db = StateDb.PostgreSql(server.ConnectionString(name));
        await db.MigrateAsync(CancellationToken.None);
        return new TestStateDb(db, () => server.DropDatabaseAsync(name));
    }

    private static readonly ConditionalWeakTable<PostgreSqlStateServer, Task<string>> Templates = new();

    private static async Task<string> MigrateTemplateAsync(PostgreSqlStateServer server)
    {
        var name = await server.CreateDatabaseAsync();
        await StateDb.PostgreSql(server.ConnectionString(name)).MigrateAsync(CancellationToken.None);
        // A template must have no connections, pooled ones included.
        NpgsqlConnection.ClearPool(new NpgsqlConnection(server.ConnectionString(name)));
        return name;
    }

    public async ValueTask DisposeAsync() => await drop();
}
