using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.Redis;
using Microsoft.Extensions.Logging;

namespace Hoard.Guest.Tests.Datastores.Redis;

/// <summary>
/// A real Redis prepared by <see cref="RedisManager"/> in a temp directory, on loopback and a free port,
/// shared by the tests of one class and stopped after them.
/// </summary>
public sealed class RedisFixture : IAsyncLifetime
{
    public const string User = "alice";
    public const string Password = "Alice-Secret-42";
    public const int MemoryMb = 512;

    private RedisManager? _manager;

    internal RedisManager Manager => _manager ?? throw new InvalidOperationException("The fixture is not initialised.");

    internal RedisInstance Instance { get; private set; } = null!;

    public TimeSpan PrepareTime { get; private set; }

    public async Task InitializeAsync()
    {
        Instance = RedisInstance.Create();
        _manager = Instance.CreateManager();
        var watch = Stopwatch.StartNew();
        await Manager.PrepareAsync(
            new PrepareRequest("redis", "7.0", MemoryMb, 1, 1, [], [new UserSpec(User, Password)]),
            CancellationToken.None);
        PrepareTime = watch.Elapsed;
    }

    public async Task DisposeAsync()
    {
        if (_manager is not null)
            await _manager.DisposeAsync();
        Instance.Dispose();
    }

    internal RedisConnection Admin() => Manager.Server.OpenAdmin(TimeSpan.FromSeconds(10));

    internal RedisConnection ConnectTcp(string? user, string? password) => Instance.ConnectTcp(user, password);
}

/// <summary>The directories, port and OS user of one test instance; deleting it removes everything.</summary>
internal sealed class RedisInstance : IDisposable
{
    private const string ServiceUser = "dbaas";

    private RedisInstance(string root, GuestConfig config)
    {
        Root = root;
        Config = config;
    }

    public string Root { get; }

    public GuestConfig Config { get; }

    public List<string> LogLines { get; } = [];

    public static RedisInstance Create()
    {
        EnsureServiceUser();
        var root = Directory.CreateTempSubdirectory("hoard-redis-").FullName;
        var paths = new InstancePaths(Path.Combine(root, "data"), Path.Combine(root, "run"), Path.Combine(root, "log"), Path.Combine(root, "etc"));
        foreach (var directory in new[] { paths.Data, paths.Run, paths.Log, paths.Etc })
            Directory.CreateDirectory(directory);
        Run("chown", "-R", $"{ServiceUser}:{ServiceUser}", root);
        var config = new GuestConfig
        {
            InstanceId = Guid.NewGuid().ToString(),
            Manager = "redis",
            BusSocket = Path.Combine(root, "bus.sock"),
            BusSecret = "unused",
            Address = "127.0.0.1",
            Port = FreePort(),
            Paths = paths,
        };
        return new RedisInstance(root, config);
    }

    public RedisManager CreateManager() => new(Config, new ListLogger(LogLines));

    public RedisConnection ConnectTcp(string? user, string? password) =>
        RedisConnection.OpenTcp(Config.Address, Config.Port, user, password, TimeSpan.FromSeconds(10));

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
