using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.MariaDb;
using Microsoft.Extensions.Logging;

namespace Hoard.Guest.Tests.Datastores.MariaDb;

/// <summary>
/// A real MariaDB prepared by <see cref="MariaDbManager"/> in a temp directory, on loopback and a free port,
/// shared by the tests of one class and stopped after them.
/// </summary>
public sealed class MariaDbFixture : IAsyncLifetime
{
    public const string Database = "shop";
    public const string User = "alice";
    public const string Password = "Alice-Secret-42";
    public const int MemoryMb = 512;

    private MariaDbManager? _manager;

    internal MariaDbManager Manager => _manager ?? throw new InvalidOperationException("The fixture is not initialised.");

    internal MariaDbInstance Instance { get; private set; } = null!;

    public TimeSpan PrepareTime { get; private set; }

    public async Task InitializeAsync()
    {
        Instance = MariaDbInstance.Create();
        _manager = Instance.CreateManager();
        var watch = Stopwatch.StartNew();
        await Manager.PrepareAsync(
            new PrepareRequest("mariadb", "10.11", MemoryMb, 1, 1,
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

    internal MariaDbConnection Admin() => Manager.Server.OpenAdmin(TimeSpan.FromSeconds(10));

    internal MariaDbConnection ConnectTcp(string user, string? password, string? database = null) =>
        MariaDbConnection.OpenTcp(Instance.Config.Address, Instance.Config.Port, user, password, TimeSpan.FromSeconds(10), database);
}

/// <summary>The directories, port and OS user of one test instance; deleting it removes everything.</summary>
internal sealed class MariaDbInstance : IDisposable
{
    private const string ServiceUser = "dbaas";

    private MariaDbInstance(string root, GuestConfig config)
    {
        Root = root;
        Config = config;
    }

    public string Root { get; }

    public GuestConfig Config { get; }

    public List<string> LogLines { get; } = [];

    public static MariaDbInstance Create()
    {
        EnsureServiceUser();
        var root = Directory.CreateTempSubdirectory("hoard-mariadb-").FullName;
        var paths = new InstancePaths(Path.Combine(root, "data"), Path.Combine(root, "run"), Path.Combine(root, "log"), Path.Combine(root, "etc"));
        foreach (var directory in new[] { paths.Data, paths.Run, paths.Log, paths.Etc })
            Directory.CreateDirectory(directory);
        Run("chown", "-R", $"{ServiceUser}:{ServiceUser}", root);
        var config = new GuestConfig
        {
            InstanceId = Guid.NewGuid().ToString(),
            Manager = "mariadb",
            BusSocket = Path.Combine(root, "bus.sock"),
            BusSecret = "unused",
            Address = "127.0.0.1",
            Port = FreePort(),
            Paths = paths,
        };
        return new MariaDbInstance(root, config);
    }

    public MariaDbManager CreateManager() => new(Config, new ListLogger(LogLines));

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

    private static void Run(string file, params string[] arguments)
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
