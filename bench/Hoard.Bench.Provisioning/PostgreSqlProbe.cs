using Npgsql;

namespace Hoard.Bench.Provisioning;

/// <summary>Npgsql connections as the bench makes them: unpooled (every attempt is a new login), no TLS or GSS round trip.</summary>
internal static class PostgreSqlProbe
{
    /// <param name="host">An address for TCP, or a socket directory (an absolute path).</param>
    /// <param name="superuser">
    /// Whether <paramref name="user"/> is a superuser, whose connection then keeps failing statements out of the server
    /// log (as the guest's does): the by-hand CREATE ROLE carries a password. Other roles may not set that parameter.
    /// </param>
    public static async Task<NpgsqlConnection> OpenAsync(string host, int port, string user, string password, string database,
        bool superuser, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = host,
            Port = port,
            Username = user,
            Password = password,
            Database = database,
            Pooling = false,
            SslMode = SslMode.Disable,
            GssEncryptionMode = GssEncryptionMode.Disable,
            Timeout = 5,
            CommandTimeout = 5,
            Options = superuser ? "-c log_min_error_statement=panic" : null,
            ApplicationName = "hoard-bench",
        };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Log in over TCP and run <c>SELECT 1</c>: null when it answered, else why not.</summary>
    public static async Task<string?> TrySelectOneAsync(string address, int port, string user, string password, string database,
        CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await OpenAsync(address, port, user, password, database, superuser: false, cancellationToken);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            var result = await command.ExecuteScalarAsync(cancellationToken);
            return result is 1 ? null : $"SELECT 1 returned {result}";
        }
        catch (NpgsqlException e)
        {
            return e.Message;
        }
        catch (TimeoutException e)
        {
            return e.Message;
        }
    }
}
