using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.PostgreSql;
using Microsoft.Extensions.Logging;
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
    private const string ServiceUser = "dbaas";

    private PostgreSqlInstance(string root, GuestConfig config)
    {
        Root = root;
        Config = config;
    }

    public string Root { get; }

    public GuestConfig Config { get; }

    public List<string> LogLines { get; } = [];

    /// <param name="templateCache">A template cache directory shared between instances, or null for a plain initdb.</param>
    public static PostgreSqlInstance Create(string? templateCache = null)
    {
        EnsureServiceUser();
        var root = Directory.CreateTempSubdirectory("hoard-postgresql-").FullName;
        var paths = new InstancePaths(Path.Combine(root, "data"), Path.Combine(root, "run"), Path.Combine(root, "log"), Path.Combine(root, "etc"));
        foreach (var directory in new[] { paths.Data, paths.Run, paths.Log, paths.Etc })
            Directory.CreateDirectory(directory);
        Run("chown", "-R", $"{ServiceUser}:{ServiceUser}", root);
        var config = new GuestConfig
        {
            InstanceId = Guid.NewGuid().ToString(),
            Manager = "postgresql",
            BusSocket = Path.Combine(root, "bus.sock"),
            BusSecret = "unused",
            Address = "127.0.0.1",
            Port = FreePort(),
            Paths = paths,
            TemplateCache = templateCache,
        };
        return new PostgreSqlInstance(root, config);
    }

    public PostgreSqlManager CreateManager() => new(Config, new ListLogger(LogLines));

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

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private static void EnsureServiceUser()
    {
        if (File.ReadLines("/etc/passwd").Any(line => line.StartsWith(ServiceUser + ":", StringComparison.Ordinal)))
            return;
        Run("useradd", "--system", "--create-home", "--home-dir", "/var/lib/hoard-dbaas", "--shell", "/usr/sbin/nologin", ServiceUser);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static void Run(string file, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(file) { RedirectStandardError = true };
        foreach (var argument in arguments)
            startInfo.ArgumentList.Add(argument);
        using var process = Process.Start(startInfo)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} failed with {process.ExitCode}: {error}");
    }

    private sealed class ListLogger(List<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (lines)
                lines.Add(formatter(state, exception));
        }
    }
}
