using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>
/// A real OpenStack Keystone from Debian's python3-keystone, on 127.0.0.1 at a random port with its own temp dir: SQLite,
/// fernet tokens, <c>keystone-manage bootstrap</c> (admin user, project and the admin/member/reader roles), served by
/// uwsgi with one worker. The admin's password reaches keystone-manage through its environment only. Skipped, saying
/// why, where Keystone or uwsgi is not installed.
/// </summary>
public sealed class KeystoneServer : IAsyncLifetime
{
    private const string Manage = "/usr/bin/keystone-manage";
    private const string WsgiPublic = "/usr/bin/keystone-wsgi-public";
    private const string Uwsgi = "/usr/bin/uwsgi";
    private const string UwsgiPython = "/usr/lib/uwsgi/plugins/python3_plugin.so";

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("hoard-ks-");
    private readonly int _port = FreePort();
    private readonly ConcurrentQueue<string> _log = new();
    private Process? _uwsgi;

    public static string? SkipReason { get; } =
        Environment.GetEnvironmentVariable("HOARD_TEST_NO_KEYSTONE") == "1" ? "HOARD_TEST_NO_KEYSTONE=1"
        : new[] { Manage, WsgiPublic, Uwsgi, UwsgiPython }.FirstOrDefault(f => !File.Exists(f)) is { } missing
            ? $"Keystone is not installed ({missing}); scripts/install-deps.sh installs python3-keystone and uwsgi-plugin-python3"
            : null;

    public string Url => $"http://127.0.0.1:{_port}";

    public string AdminPassword { get; } = "Ks-" + Guid.NewGuid().ToString("N");

    /// <summary>From the first keystone-manage to the first answer of GET /v3.</summary>
    public TimeSpan StartupTime { get; private set; }

    public TroveClient Client { get; private set; } = null!;

    /// <summary>The <c>OS_*</c> settings of Keystone's admin, for the <c>openstack</c> client.</summary>
    public IReadOnlyDictionary<string, string> AdminOpenRc => OpenRc("admin", AdminPassword, "admin");

    public string Log => string.Join('\n', _log.TakeLast(100));

    public IReadOnlyDictionary<string, string> OpenRc(string user, string password, string project) => new Dictionary<string, string>
    {
        ["OS_AUTH_URL"] = Url + "/v3", ["OS_IDENTITY_API_VERSION"] = "3", ["OS_USERNAME"] = user, ["OS_PASSWORD"] = password,
        ["OS_PROJECT_NAME"] = project, ["OS_USER_DOMAIN_NAME"] = "Default", ["OS_PROJECT_DOMAIN_NAME"] = "Default",
        ["OS_REGION_NAME"] = "RegionOne",
    };

    public async Task InitializeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }

        var watch = Stopwatch.StartNew();
        var d = _dir.FullName;
        var config = Path.Combine(d, "keystone.conf");
        await File.WriteAllTextAsync(config,
            $"[DEFAULT]\nuse_stderr = true\n[database]\nconnection = sqlite:///{d}/keystone.db\n" +
            $"[fernet_tokens]\nkey_repository = {d}/fernet\n[credential]\nkey_repository = {d}/credential\n[token]\nprovider = fernet\n");
        Directory.CreateDirectory(Path.Combine(d, "fernet"));
        Directory.CreateDirectory(Path.Combine(d, "credential"));
        var owner = Environment.UserName;
        await ManageAsync(config, "db_sync");
        UseWriteAheadLog(Path.Combine(d, "keystone.db"));
        await ManageAsync(config, "fernet_setup", "--keystone-user", owner, "--keystone-group", owner);
        await ManageAsync(config, "credential_setup", "--keystone-user", owner, "--keystone-group", owner);
        await ManageAsync(config, "bootstrap", "--bootstrap-admin-url", Url + "/v3/", "--bootstrap-public-url", Url + "/v3/",
            "--bootstrap-internal-url", Url + "/v3/", "--bootstrap-region-id", "RegionOne");

        var start = new ProcessStartInfo(Uwsgi) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        // One worker, one thread: SQLite answers "database is locked" to concurrent writers. uwsgi's plain http-socket
        // closes every connection after its answer, so it says so, lest a client reuse the connection and be reset.
        foreach (var argument in new[]
                 {
                     "--plugin", "python3", "--http-socket", $"127.0.0.1:{_port}", "--wsgi-file", WsgiPublic, "--master",
                     "--processes", "1", "--threads", "1", "--die-on-term", "--need-app",
                     "--add-header", "Connection: close",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["OS_KEYSTONE_CONFIG_DIR"] = d;
        start.Environment["OS_KEYSTONE_CONFIG_FILES"] = "keystone.conf";
        _uwsgi = Process.Start(start) ?? throw new InvalidOperationException("uwsgi did not start.");
        _uwsgi.OutputDataReceived += (_, e) => Append(e.Data);
        _uwsgi.ErrorDataReceived += (_, e) => Append(e.Data);
        _uwsgi.BeginOutputReadLine();
        _uwsgi.BeginErrorReadLine();

        Client = new TroveClient(new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(30) });
        await Poll.UntilAsync(async () =>
        {
            Assert.False(_uwsgi.HasExited, $"Keystone's uwsgi exited while starting:\n{Log}");
            try
            {
                return (await Client.SendAsync(HttpMethod.Get, "/v3")).Status == 200;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, $"Keystone did not answer GET /v3 on {Url}", 60, () => Log, intervalMs: 100);
        StartupTime = watch.Elapsed;
    }

    public Task DisposeAsync()
    {
        if (_uwsgi is { HasExited: false })
        {
            _uwsgi.Kill(entireProcessTree: true);
            _uwsgi.WaitForExit(15_000);
        }

        _uwsgi?.Dispose();
        _dir.Delete(recursive: true);
        return Task.CompletedTask;
    }

    private async Task ManageAsync(string config, params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync(Manage, ["--config-file", config, .. arguments],
            new Dictionary<string, string?> { ["OS_BOOTSTRAP_PASSWORD"] = AdminPassword }, timeoutSeconds: 120);
        Assert.True(result.Succeeded, result.ToString());
    }

    /// <summary>
    /// Keystone's SQLite in WAL mode (which the file keeps): otherwise a read left open on one pooled connection makes the
    /// next write answer "database is locked" and uwsgi drop the request.
    /// </summary>
    private static void UseWriteAheadLog(string path)
    {
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode = WAL;";
            Assert.Equal("wal", command.ExecuteScalar() as string);
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        _log.Enqueue(line);
        while (_log.Count > 500 && _log.TryDequeue(out _))
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
