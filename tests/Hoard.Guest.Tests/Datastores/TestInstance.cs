using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Hoard.Contracts.Guest;
using Microsoft.Extensions.Logging;

namespace Hoard.Guest.Tests.Datastores;

/// <summary>The directories, port and OS user of one test instance of any datastore; deleting it removes everything.</summary>
internal sealed class TestInstance : IDisposable
{
    private const string ServiceUser = "dbaas";

    private TestInstance(string root, GuestConfig config)
    {
        Root = root;
        Config = config;
    }

    public string Root { get; }

    public GuestConfig Config { get; }

    public List<string> LogLines { get; } = [];

    /// <param name="manager">The datastore's manager name, e.g. "mariadb".</param>
    /// <param name="templateCache">A template cache directory shared between instances, or null for none.</param>
    public static TestInstance Create(string manager, string? templateCache = null)
    {
        EnsureServiceUser();
        var root = Directory.CreateTempSubdirectory($"hoard-{manager}-").FullName;
        var paths = new InstancePaths(Path.Combine(root, "data"), Path.Combine(root, "run"), Path.Combine(root, "log"), Path.Combine(root, "etc"));
        foreach (var directory in new[] { paths.Data, paths.Run, paths.Log, paths.Etc })
            Directory.CreateDirectory(directory);
        Run("chown", "-R", $"{ServiceUser}:{ServiceUser}", root);
        var config = new GuestConfig
        {
            InstanceId = Guid.NewGuid().ToString(),
            Manager = manager,
            BusSocket = Path.Combine(root, "bus.sock"),
            BusSecret = "unused",
            Address = "127.0.0.1",
            Port = FreePort(),
            Paths = paths,
            TemplateCache = templateCache,
        };
        return new TestInstance(root, config);
    }

    /// <summary>A logger that appends to <see cref="LogLines"/>, for tests that assert on the manager's log.</summary>
    public ILogger CreateLogger() => new ListLogger(LogLines);

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

    public static void Run(string file, params string[] arguments)
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
