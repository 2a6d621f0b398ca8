using System.Data;
using System.Data.Common;
using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Hoard.Persistence;

/// <summary>
/// The state database: a SQLite file in the data dir (one server), or a PostgreSQL database that several servers share.
/// Opens pooled connections (Dapper on top, the same SQL for both) and upgrades the schema in place. The few things
/// the two do differently are here: list parameters (<see cref="In"/>), serialising writers (<see cref="LockAsync"/>)
/// and the migration.
/// </summary>
public sealed class StateDb
{
    // pg_advisory_lock's first key: "Hoar"; the second is the hash of what is locked.
    private const int AdvisoryLockClass = 0x486f6172;
    private const string MigrationLock = "schema migration";
    private const string VersionTable = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)";

    private readonly string _connectionString;
    private long _identityChanges;

    static StateDb()
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        SqlMapper.AddTypeHandler(new DateTimeOffsetHandler());
        SqlMapper.AddTypeHandler(new NullableDateTimeOffsetHandler());
    }

    /// <summary>The SQLite state DB in the file <paramref name="path"/> (created on first migration, 0600).</summary>
    public StateDb(string path)
    {
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        Path = path;
        Kind = StateDbKind.Sqlite;
        Description = $"sqlite {path}";
    }

    private StateDb(NpgsqlConnectionStringBuilder builder)
    {
        _connectionString = builder.ConnectionString;
        Kind = StateDbKind.PostgreSql;
        Description = $"postgresql {SafeDescription(builder)}";
    }

    /// <summary>
    /// A PostgreSQL state DB. <paramref name="password"/> (when not null) replaces any password in the connection string,
    /// so that it can come from a file of its own.
    /// </summary>
    /// <exception cref="ArgumentException">The connection string cannot be parsed (its text is not quoted: it may hold a password).</exception>
    public static StateDb PostgreSql(string connectionString, string? password = null)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException)
        {
            throw new ArgumentException("The PostgreSQL connection string of the state DB cannot be parsed.", nameof(connectionString));
        }

        if (password is not null)
        {
            builder.Password = password;
        }

        if (string.IsNullOrEmpty(builder.Host))
        {
            throw new ArgumentException("The PostgreSQL connection string of the state DB names no Host.", nameof(connectionString));
        }

        return new StateDb(builder);
    }

    public StateDbKind Kind { get; }

    /// <summary>The SQLite file; null for PostgreSQL.</summary>
    public string? Path { get; }

    /// <summary>What the state DB is, for logs: the SQLite file, or PostgreSQL's host, port, database and user (never the password).</summary>
    public string Description { get; }

    public static int SchemaVersion => Schema.Versions.Count;

    /// <summary>
    /// How many changes to tokens, roles, users, projects or application credentials this process has committed through
    /// its stores. A cache of validated tokens keeps an answer only while this has not moved, so a revocation made by this
    /// process takes effect at the next request; one made by another process sharing the database is not seen here.
    /// </summary>
    public long IdentityChanges => Interlocked.Read(ref _identityChanges);

    /// <summary>Called after (never before) such a change commits: a validation that read the old count re-reads the row.</summary>
    internal void NoteIdentityChange() => Interlocked.Increment(ref _identityChanges);

    /// <summary>Moves <see cref="IdentityChanges"/> when disposed: see <see cref="IdentityChangeScope"/>.</summary>
    internal IdentityChangeScope IdentityChange() => new(this);

    public Task<DbConnection> OpenAsync(CancellationToken cancellationToken) => OpenAsync(durable: true, cancellationToken);

    /// <summary>
    /// A connection for writes that may be lost at a power failure because they are sent again anyway: guests' reports,
    /// which come every few seconds. Its commits do not wait for the disk (SQLite: synchronous=NORMAL, the next commit of
    /// any other connection syncs them along with its own; PostgreSQL: synchronous_commit=off), and a crash of
    /// hoard-server alone loses nothing. With a sync for each of a heartbeat's two writes the conductor kept up with a
    /// few hundred guests' heartbeats a second at most (bench/Hoard.Bench.Scale).
    /// </summary>
    public Task<DbConnection> OpenForReportsAsync(CancellationToken cancellationToken) => OpenAsync(durable: false, cancellationToken);

    private async Task<DbConnection> OpenAsync(bool durable, CancellationToken cancellationToken)
    {
        if (Kind == StateDbKind.PostgreSql)
        {
            var pg = new NpgsqlConnection(_connectionString);
            try
            {
                await pg.OpenAsync(cancellationToken);
                if (!durable)
                {
                    // Npgsql resets session settings (DISCARD ALL) when a pooled connection is returned.
                    await pg.ExecuteAsync("SET synchronous_commit = off");
                }

                return pg;
            }
            catch
            {
                await pg.DisposeAsync();
                throw;
            }
        }

        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        // Set both ways on every open: a pooled connection keeps what its last user set.
        await connection.ExecuteAsync(durable
            ? "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA synchronous = FULL;"
            : "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;");
        return connection;
    }

    /// <summary>
    /// Brings the schema to <see cref="SchemaVersion"/>, one transaction per version. On PostgreSQL every server migrates
    /// under one advisory lock, so servers that start at once apply each version exactly once.
    /// </summary>
    public Task MigrateAsync(CancellationToken cancellationToken) =>
        Kind == StateDbKind.PostgreSql ? MigratePostgreSqlAsync(cancellationToken) : MigrateSqliteAsync(cancellationToken);

    /// <summary>
    /// <c><paramref name="expression"/> IN @<paramref name="parameter"/></c> for an array parameter: Dapper expands the
    /// list for SQLite but hands Npgsql the array itself, which PostgreSQL compares with <c>= ANY</c>.
    /// </summary>
    internal string In(string expression, string parameter) =>
        Kind == StateDbKind.PostgreSql ? $"{expression} = ANY(@{parameter})" : $"{expression} IN @{parameter}";

    /// <summary>
    /// Serialises the transactions that take the same <paramref name="key"/> (a project's quota, say) until they end.
    /// SQLite needs nothing: every write transaction there holds the database's write lock from its start.
    /// </summary>
    internal async Task LockAsync(DbConnection connection, DbTransaction transaction, string key, CancellationToken cancellationToken)
    {
        if (Kind == StateDbKind.PostgreSql)
        {
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@lockClass, hashtext(@key))",
                new { lockClass = AdvisoryLockClass, key }, transaction, cancellationToken: cancellationToken));
        }
    }

    /// <summary>
    /// Whether <paramref name="exception"/> is a UNIQUE or PRIMARY KEY violation, on either database: a store that lets the
    /// database decide a race (two creates of one name) catches only this.
    /// </summary>
    public static bool IsUniqueViolation(Exception exception) => exception switch
    {
        // SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY.
        SqliteException sqlite => sqlite.SqliteExtendedErrorCode is 2067 or 1555,
        PostgresException pg => pg.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };

    /// <summary>
    /// Safe when several processes start together on one SQLite file: each version is applied in a write transaction
    /// (<c>BEGIN IMMEDIATE</c>, so one process at a time) that first reads the version again, and a process that finds a
    /// version already applied by another skips it.
    /// </summary>
    private async Task MigrateSqliteAsync(CancellationToken cancellationToken)
    {
        var existed = File.Exists(Path);
        await using var connection = (SqliteConnection)await OpenAsync(cancellationToken);
        if (!existed)
        {
            // The state DB holds password hashes and bus secrets' hashes: keep it private.
            File.SetUnixFileMode(Path!, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        await WhileBusyAsync(() => connection.ExecuteAsync("PRAGMA journal_mode = WAL;"), cancellationToken);
        await WhileBusyAsync(() => connection.ExecuteAsync(VersionTable), cancellationToken);
        while (true)
        {
            // Non-deferred: Microsoft.Data.Sqlite begins it IMMEDIATE, taking the write lock before the version is read
            // (waiting while another process applies a long version).
            SqliteTransaction? begun = null;
            await WhileBusyAsync(() =>
            {
                begun = connection.BeginTransaction(deferred: false);
                return Task.CompletedTask;
            }, cancellationToken);
            await using var tx = begun!;
            var current = await connection.ExecuteScalarAsync<int?>("SELECT MAX(version) FROM schema_version", transaction: tx) ?? 0;
            if (current >= Schema.Versions.Count)
            {
                return;
            }

            var version = current + 1;
            await connection.ExecuteAsync(Schema.Versions[version - 1], transaction: tx);
            await connection.ExecuteAsync("INSERT INTO schema_version (version) VALUES (@version)", new { version }, tx);
            await tx.CommitAsync(cancellationToken);
        }
    }

    /// <summary>Switching to WAL, or taking the write lock, may wait on another process starting at once.</summary>
    private static async Task WhileBusyAsync(Func<Task> action, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await action();
                return;
            }
            catch (SqliteException e) when (e.SqliteErrorCode is 5 or 6 && attempt < 100)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    private async Task MigratePostgreSqlAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        // A session lock, not a transaction's: each version still commits on its own. Another server's migration is
        // waited for at most 5 minutes; the lock goes with the connection if this process dies meanwhile.
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@lockClass, hashtext(@key))",
            new { lockClass = AdvisoryLockClass, key = MigrationLock }, commandTimeout: 300, cancellationToken: cancellationToken));
        try
        {
            await ApplyAsync(connection, PostgreSqlSchema.Translate(VersionTable), PostgreSqlSchema.Versions, cancellationToken);
        }
        finally
        {
            await connection.ExecuteAsync("SELECT pg_advisory_unlock(@lockClass, hashtext(@key))",
                new { lockClass = AdvisoryLockClass, key = MigrationLock });
        }
    }

    private static async Task ApplyAsync(DbConnection connection, string versionTable, IReadOnlyList<string> versions,
        CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(versionTable);
        var current = await connection.ExecuteScalarAsync<int?>("SELECT MAX(version) FROM schema_version") ?? 0;
        for (var version = current + 1; version <= versions.Count; version++)
        {
            await using var tx = await connection.BeginTransactionAsync(cancellationToken);
            await connection.ExecuteAsync(versions[version - 1], transaction: tx);
            await connection.ExecuteAsync("INSERT INTO schema_version (version) VALUES (@version)", new { version }, tx);
            await tx.CommitAsync(cancellationToken);
        }
    }

    private static string SafeDescription(NpgsqlConnectionStringBuilder builder) =>
        $"host={builder.Host} port={builder.Port} database={builder.Database ?? builder.Username} user={builder.Username}";

    private sealed class DateTimeOffsetHandler : SqlMapper.TypeHandler<DateTimeOffset>
    {
        public override void SetValue(IDbDataParameter parameter, DateTimeOffset value) =>
            parameter.Value = value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);

        public override DateTimeOffset Parse(object value) =>
            DateTimeOffset.Parse((string)value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
    }

    private sealed class NullableDateTimeOffsetHandler : SqlMapper.TypeHandler<DateTimeOffset?>
    {
        public override void SetValue(IDbDataParameter parameter, DateTimeOffset? value) =>
            parameter.Value = value is { } v
                ? v.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture)
                : DBNull.Value;

        public override DateTimeOffset? Parse(object value) =>
            value is string s ? DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal) : null;
    }
}
