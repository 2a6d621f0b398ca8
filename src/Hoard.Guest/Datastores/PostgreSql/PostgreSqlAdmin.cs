using Npgsql;

namespace Hoard.Guest.Datastores.PostgreSql;

/// <summary>
/// The guest's superuser session for one operation: a connection to the <c>postgres</c> database, and more to
/// other databases on demand (schema privileges and object ownership are per database in PostgreSQL).
/// </summary>
internal sealed class PostgreSqlAdmin(PostgreSqlServer server, NpgsqlConnection connection, TimeSpan timeout, CancellationToken cancellationToken)
    : IAsyncDisposable
{
    public NpgsqlConnection Connection => connection;

    public CancellationToken CancellationToken => cancellationToken;

    public static async Task<PostgreSqlAdmin> OpenAsync(PostgreSqlServer server, TimeSpan timeout, CancellationToken cancellationToken) =>
        new(server, await server.OpenAdminAsync("postgres", timeout, cancellationToken), timeout, cancellationToken);

    /// <summary>Runs <paramref name="sql"/> with its <c>$1</c>, <c>$2</c>… bound to <paramref name="arguments"/>.</summary>
    public Task ExecuteAsync(string sql, params object[] arguments) => ExecuteAsync(connection, sql, arguments);

    public Task<List<string?[]>> QueryAsync(string sql, params object[] arguments) => QueryAsync(connection, sql, arguments);

    /// <summary>Runs statements in another database of the instance, on a connection of their own.</summary>
    public async Task InDatabaseAsync(string database, params string[] statements)
    {
        await using var other = await server.OpenAdminAsync(database, timeout, cancellationToken);
        foreach (var sql in statements)
            await ExecuteAsync(other, sql);
    }

    public async Task ExecuteAsync(NpgsqlConnection on, string sql, params object[] arguments)
    {
        await using var command = Command(on, sql, arguments);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<List<string?[]>> QueryAsync(NpgsqlConnection on, string sql, object[] arguments)
    {
        await using var command = Command(on, sql, arguments);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<string?[]>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new string?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
                row[i] = reader.IsDBNull(i) ? null : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
            rows.Add(row);
        }

        return rows;
    }

    private static NpgsqlCommand Command(NpgsqlConnection on, string sql, object[] arguments)
    {
        var command = new NpgsqlCommand(sql, on);
        foreach (var argument in arguments)
            command.Parameters.Add(new NpgsqlParameter { Value = argument });
        return command;
    }

    public ValueTask DisposeAsync() => connection.DisposeAsync();
}
