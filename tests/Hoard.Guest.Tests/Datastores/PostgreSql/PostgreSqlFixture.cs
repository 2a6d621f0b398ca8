using System.Diagnostics;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.PostgreSql;
using Npgsql;

namespace Hoard.Guest.Tests.Datastores.PostgreSql;

/// <summary>
/// A real PostgreSQL 15 prepared by <see cref="PostgreSqlManager"/> in a temp directory, on loopback and a free
/// port, shared by the tests of one class and stopped after them. The system cluster is never touched.
/// </summary>
public sealed class PostgreSqlFixture : IAsyncLifetime
{
    public const string Database = "shop";
    public const string User = "alice";
    public const string Password = "Alice-Secret-42";
    public const int MemoryMb = 512;

    private PostgreSqlManager? _manager;

    internal PostgreSqlManager Manager => _manager ?? throw new InvalidOperationException("The fixture is not initialised.");

    internal PostgreSqlInstance Instance { get; private set; } = null!;

    public TimeSpan PrepareTime { get; private set; }

    public async Task InitializeAsync()
    {
        Instance = PostgreSqlInstance.Create();
        _manager = Instance.CreateManager();
        var watch = Stopwatch.StartNew();
        await Manager.PrepareAsync(
            new PrepareRequest("postgresql", "15", MemoryMb, 1, 1,
                [new DatabaseSpec(Database)],
                [new UserSpec(User, Password, "%", [Database])]),
            CancellationToken.None);
        PrepareTime = watch.Elapsed;
    }

    public async Task DisposeAsync()
    {
        if (_manager is not null)
            await _manager.DisposeAsync();
        Instance.Dispose();
    }

    internal Task<NpgsqlConnection> AdminAsync(string database = "postgres") =>
        Manager.Server.OpenAdminAsync(database, TimeSpan.FromSeconds(10), CancellationToken.None);

    internal Task<NpgsqlConnection> ConnectTcpAsync(string user, string? password, string database = Database) =>
        Instance.ConnectTcpAsync(user, password, database);
}

/// <summary>The directories, port and OS user of one test instance; deleting it removes everything.</summary>
internal sealed class PostgreSqlInstance : IDisposable
{
    private readonly TestInstance _instance;

    private PostgreSqlInstance(TestInstance instance) => _instance = instance;

    public string Root => _instance.Root;

    public GuestConfig Config => _instance.Config;

    public List<string> LogLines => _instance.LogLines;

    /// <param name="templateCache">A template cache directory shared between instances, or null for a plain initdb.</param>
    public static PostgreSqlInstance Create(string? templateCache = null) =>
        new(TestInstance.Create("postgresql", templateCache));

    public PostgreSqlManager CreateManager() => new(Config, _instance.CreateLogger());

    /// <summary>Logs in the way a customer does: over TCP at the instance address, with a password.</summary>
    public async Task<NpgsqlConnection> ConnectTcpAsync(string user, string? password, string database)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = Config.Address,
            Port = Config.Port,
            Username = user,
            Password = password,
            Database = database,
            Pooling = false,
            Timeout = 10,
        };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync();
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public void Dispose() => _instance.Dispose();
}
