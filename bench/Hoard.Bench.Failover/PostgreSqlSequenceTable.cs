using Hoard.Bench.Provisioning;
using Npgsql;

namespace Hoard.Bench.Failover;

/// <summary>PostgreSQL through Npgsql (the provisioning bench's connection settings: unpooled, no TLS): a table <c>seq</c>.</summary>
internal sealed class PostgreSqlSequenceTable(WriteTarget target) : ISequenceTable
{
    public string WriteDescription => "Npgsql over TCP, unpooled, autocommit INSERT INTO seq (n) VALUES ($1)";

    public async Task CreateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(target, cancellationToken);
        await using var command = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS seq (n bigint PRIMARY KEY)", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public ISequenceSession NewSession() => new PostgreSqlSession(target);

    public async Task<IReadOnlyList<long>> MissingAsync(IReadOnlyCollection<long> acknowledged, CancellationToken cancellationToken)
    {
        var present = new HashSet<long>();
        await using var connection = await OpenAsync(target, cancellationToken);
        await using var command = new NpgsqlCommand("SELECT n FROM seq", connection) { CommandTimeout = 60 };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            present.Add(reader.GetInt64(0));
        return [.. acknowledged.Where(n => !present.Contains(n)).Order()];
    }

    public static Task<NpgsqlConnection> OpenAsync(WriteTarget target, CancellationToken cancellationToken) =>
        PostgreSqlProbe.OpenAsync(target.Host, target.Port, target.User, target.Password, target.Database, superuser: false, cancellationToken);

    private sealed class PostgreSqlSession(WriteTarget target) : ISequenceSession
    {
        private NpgsqlConnection? _connection;
        private NpgsqlCommand? _insert;

        /// <summary>
        /// Npgsql stops waiting at the token only while it connects, not while it waits for the server's first answer
        /// (which HAProxy holds back while it retries a dead server); so the wait is given up here, and a connection the
        /// open still makes is closed when it comes.
        /// </summary>
        public async Task ConnectAsync(CancellationToken cancellationToken)
        {
            var opening = OpenAsync(target, cancellationToken);
            try
            {
                _connection = await opening.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                _ = opening.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
                throw;
            }

            _insert = new NpgsqlCommand("INSERT INTO seq (n) VALUES ($1)", _connection) { Parameters = { new NpgsqlParameter<long> { TypedValue = 0 } } };
            await _insert.PrepareAsync(cancellationToken);
        }

        public async Task WriteAsync(long number, CancellationToken cancellationToken)
        {
            var insert = _insert ?? throw new InvalidOperationException("Not connected.");
            ((NpgsqlParameter<long>)insert.Parameters[0]).TypedValue = number;
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        public async ValueTask DisposeAsync()
        {
            if (_insert is not null)
                await _insert.DisposeAsync();
            if (_connection is not null)
                await _connection.DisposeAsync();
        }
    }
}
