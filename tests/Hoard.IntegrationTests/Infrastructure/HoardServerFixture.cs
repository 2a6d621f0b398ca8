using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Hoard.Core.Identity;
using Hoard.Persistence;

namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>
/// One real hoard-server (the built binary, as a child process) for the whole integration collection: a free
/// port, a fresh data dir under /tmp, the admin credentials it writes on first start, and a second project with
/// its own user. Disposal deletes every instance, stops the server and anything left running from its data dir,
/// removes its nftables table, and removes the data dir.
/// </summary>
public sealed class HoardServerFixture : IAsyncLifetime
{
    private const string OtherProject = "it-other";
    private const string OtherUser = "it-other-user";
    private readonly ConcurrentQueue<string> _log = new();
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly StateDb? _stateDb;
    private readonly SemaphoreSlim _sharedLock = new(1, 1);
    private int _port;
    private Process? _server;
    private SharedInstance? _shared;

    /// <summary>The main test server: automatic failover off, so that tests choose when a source is replaced.</summary>
    public HoardServerFixture()
        : this(new Dictionary<string, string> { ["Hoard__AutomaticFailover"] = "false" })
    {
    }

    /// <summary>
    /// A server with more settings in its environment (<c>Hoard__Section__Key</c>), where secrets such as storage keys
    /// belong: never on its command line.
    /// </summary>
    /// <param name="stateDb">The server's state DB when it is not the SQLite file in <see cref="DataDir"/> (Hoard:StateDb=postgresql).</param>
    internal HoardServerFixture(IReadOnlyDictionary<string, string> environment, StateDb? stateDb = null)
    {
        _environment = environment;
        _stateDb = stateDb;
    }

    /// <summary>The state DB the server uses, for seeding users straight into it.</summary>
    private StateDb StateDb => _stateDb ?? new StateDb(Path.Combine(DataDir, "state.db"));

    /// <summary>A second address the server also listens on, which guests use for backup transfers (null: 127.0.0.1 only).</summary>
    internal string? AlsoListenOn { get; init; }

    /// <summary>How long a guest may be silent before the conductor marks its instance SHUTDOWN.</summary>
    public const int HeartbeatExpirySeconds = 10;

    /// <summary>Short on purpose: sockets inside it must stay under the 108-byte sun_path limit.</summary>
    public string DataDir { get; } = "/tmp/hoard-it-" + Guid.NewGuid().ToString("N")[..8];

    public string BaseUrl { get; private set; } = "";

    public IReadOnlyDictionary<string, string> OpenRc { get; private set; } = new Dictionary<string, string>();

    public TroveClient Client { get; private set; } = null!;

    /// <summary>The admin user in project <c>demo</c> (from admin-openrc.sh).</summary>
    public TroveSession Admin { get; private set; } = null!;

    /// <summary>Id of project <c>admin</c>, where <see cref="Admin"/>'s token is not valid.</summary>
    public string AdminProjectId { get; private set; } = "";

    /// <summary>A member of another project, seeded for isolation tests.</summary>
    public TroveSession Other { get; private set; } = null!;

    /// <summary>A user with only the reader role in the admin's project (demo).</summary>
    public TroveSession Reader { get; private set; } = null!;

    public string OtherPassword { get; } = "Other-" + Guid.NewGuid().ToString("N")[..12];

    public string AdminPassword => OpenRc["OS_PASSWORD"];

    /// <summary>The end of the server's output, for failure messages.</summary>
    public string ServerLog => string.Join('\n', _log.TakeLast(200));

    /// <summary>Whether any line the server printed (of the last 2000 kept) satisfies <paramref name="match"/>.</summary>
    public bool ServerLogged(Func<string, bool> match) => _log.Any(match);

    public async Task InitializeAsync()
    {
        try
        {
            await StartServerAsync();
            Client = new TroveClient(new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(100) });
            Admin = await Client.LoginAsync("admin", AdminPassword, "demo");
            AdminProjectId = (await Client.LoginAsync("admin", AdminPassword, "admin")).ProjectId;
            await SeedOtherProjectAsync();
            Other = await Client.LoginAsync(OtherUser, OtherPassword, OtherProject);
            await SeedReaderAsync();
            Reader = await Client.LoginAsync(ReaderUser, OtherPassword, "demo");
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>An ACTIVE instance (database shop, user app) that tests may read from but must not change.</summary>
    public async Task<SharedInstance> GetSharedInstanceAsync()
    {
        await _sharedLock.WaitAsync();
        try
        {
            if (_shared is null)
            {
                var created = await Client.CreateInstanceAsync(Admin, TroveClient.InstanceBody("shared", "shop", "app", SharedInstance.AppPassword));
                var id = created["id"]!.GetValue<string>();
                var active = await Client.WaitForActiveAsync(Admin, id);
                _shared = new SharedInstance(id, active["ip"]![0]!.GetValue<string>());
            }

            return _shared;
        }
        finally
        {
            _sharedLock.Release();
        }
    }

    /// <summary>
    /// Starts the server only, for one whose tokens come from an external Keystone (<c>Hoard:Identity:Mode=keystone</c>):
    /// it writes no admin-openrc.sh and has no users of its own to log in. Dispose it as any other.
    /// </summary>
    internal async Task StartWithoutBuiltInIdentityAsync()
    {
        try
        {
            await StartServerAsync(builtInIdentity: false);
            Client = new TroveClient(new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(100) });
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    private async Task StartServerAsync(bool builtInIdentity = true)
    {
        var dll = ServerAssembly();
        Assert.True(File.Exists(dll), $"hoard-server is not built at {dll}; build the solution first.");
        _port = _port == 0 ? FreePort() : _port;
        BaseUrl = $"http://127.0.0.1:{_port}";
        var start = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        foreach (var argument in new[]
                 {
                     dll, $"--Hoard:DataDir={DataDir}",
                     $"--Hoard:Listen={(AlsoListenOn is { } other ? $"{BaseUrl};http://{other}:{_port}" : BaseUrl)}",
                     $"--Hoard:LoopbackSecondOctet={FreeLoopbackOctet()}",
                     // Leftovers are looked for every few seconds, so that the tests need not wait a minute.
                     "--Hoard:OrphanScanIntervalSeconds=2",
                     // Half the default, so that a killed guest's SHUTDOWN shows sooner; still five missed 2 s
                     // heartbeats, so that a busy two-core machine does not flap instances.
                     $"--Hoard:HeartbeatExpirySeconds={HeartbeatExpirySeconds}",
                     // Schedules are checked every second, so that a run the test makes due starts at once.
                     "--Hoard:BackupSchedulerIntervalSeconds=1",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        if (AlsoListenOn is { } also)
        {
            // Guests elsewhere (network namespaces) reach the backup transfers there; users keep 127.0.0.1.
            start.ArgumentList.Add($"--Hoard:PublicUrl={BaseUrl}");
            start.ArgumentList.Add($"--Hoard:BackupTransferUrl=http://{also}:{_port}");
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }

        _server = Process.Start(start) ?? throw new InvalidOperationException("hoard-server did not start.");
        _server.OutputDataReceived += (_, e) => Log(e.Data);
        _server.ErrorDataReceived += (_, e) => Log(e.Data);
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        _server.StandardInput.Close();

        using var probe = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(5) };
        await Poll.UntilAsync(async () =>
        {
            Assert.False(_server.HasExited, $"hoard-server exited with {(_server.HasExited ? _server.ExitCode : 0)} while starting:\n{ServerLog}");
            try
            {
                return (await probe.GetAsync("/")).StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
            catch (TaskCanceledException)
            {
                return false;
            }
        }, $"hoard-server did not answer GET / on {BaseUrl}", 60, () => ServerLog, intervalMs: 100);
        if (!builtInIdentity)
        {
            return;
        }

        var openrc = Path.Combine(DataDir, "admin-openrc.sh");
        Assert.True(File.Exists(openrc), $"hoard-server did not write {openrc}");
        OpenRc = File.ReadAllLines(openrc)
            .Select(l => l.Trim())
            .Where(l => l.StartsWith("export ", StringComparison.Ordinal) && l.Contains('='))
            .Select(l => l["export ".Length..].Split('=', 2))
            .ToDictionary(kv => kv[0], kv => kv[1].Trim('"', '\''));
        Assert.Equal(BaseUrl + "/v3", OpenRc.GetValueOrDefault("OS_AUTH_URL"));
    }

    /// <summary>The second project and its users go straight into the state DB (WAL lets both write): faster than the identity admin API, which TenancyAdminTests covers.</summary>
    private async Task SeedOtherProjectAsync()
    {
        var identity = new IdentityStore(StateDb, TimeProvider.System);
        var project = new Project(Guid.NewGuid().ToString("N"), OtherProject, "default", true);
        var user = new UserAccount(Guid.NewGuid().ToString("N"), OtherUser, "default", HashPassword(OtherPassword), true);
        await identity.CreateProjectAsync(project, default);
        await identity.CreateUserAsync(user, default);
        await identity.AssignRoleAsync(user.Id, project.Id, RoleNames.Member, default);
    }

    private const string ReaderUser = "it-reader";

    private async Task SeedReaderAsync()
    {
        var identity = new IdentityStore(StateDb, TimeProvider.System);
        var demo = await identity.FindProjectAsync("default", null, "demo", default)
                   ?? throw new InvalidOperationException("The demo project is missing.");
        var user = new UserAccount(Guid.NewGuid().ToString("N"), ReaderUser, "default", HashPassword(OtherPassword), true);
        await identity.CreateUserAsync(user, default);
        await identity.AssignRoleAsync(user.Id, demo.Id, RoleNames.Reader, default);
    }

    /// <summary>The server's stored format: <c>pbkdf2-sha256$iterations$salt$hash</c>.</summary>
    private static string HashPassword(string password)
    {
        const int iterations = 100_000;
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, 32);
        return $"pbkdf2-sha256${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    /// <summary>
    /// Kills hoard-server with SIGKILL (guests live in their own sessions and keep running) and starts it again
    /// on the same data dir and port, as after a crash.
    /// </summary>
    public async Task CrashAndRestartServerAsync()
    {
        var server = _server!;
        server.Kill(entireProcessTree: false);
        // HasExited, not WaitForExitAsync: the latter also waits for the end of the redirected output.
        await Poll.UntilAsync(() => Task.FromResult(server.HasExited), "hoard-server did not die on SIGKILL", 15, intervalMs: 20);
        server.Dispose();
        Log("[fixture] hoard-server killed; starting it again");
        await StartServerAsync();
    }

    public async Task DisposeAsync()
    {
        if (Client is not null && Admin is not null)
        {
            await DeleteAllInstancesAsync();
        }

        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15)).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        _server?.Dispose();
        // Idempotent: a fixture that failed to start disposes itself, and its owner may dispose it again.
        _server = null;
        await KillLeftoversAsync();
        await NftTable.DeleteAsync(DataDir);
        for (var attempt = 0; Directory.Exists(DataDir) && attempt < 10; attempt++)
        {
            try
            {
                Directory.Delete(DataDir, recursive: true);
            }
            catch (IOException)
            {
                await Task.Delay(200);
            }
        }
    }

    /// <summary>Best effort: a failed cleanup must not hide the test failures; leftovers are killed next.</summary>
    /// <summary>
    /// Best effort: a failed cleanup must not hide the test failures; leftovers are killed next. Replicas go before their
    /// sources (a source with replicas is refused, 403): a refused instance is tried again once the others are gone.
    /// </summary>
    private async Task DeleteAllInstancesAsync()
    {
        foreach (var session in new[] { Admin, Other }.Where(s => s is not null))
        {
            try
            {
                for (var pass = 0; pass < 4; pass++)
                {
                    var ids = (await Client.ListInstancesAsync(session)).Select(i => i["id"]!.GetValue<string>()).ToList();
                    if (ids.Count == 0)
                        break;
                    foreach (var id in ids)
                    {
                        var deleted = await Client.DeleteAsync(session, $"instances/{id}");
                        if (deleted.Status == 422 && session == Admin)
                        {
                            await Client.PostAsync(session, $"instances/{id}/action", """{"reset_status":{}}""");
                            await Client.DeleteAsync(session, $"instances/{id}");
                        }
                    }

                    var watch = Stopwatch.StartNew();
                    while (watch.Elapsed < TimeSpan.FromSeconds(60) &&
                           (await Client.ListInstancesAsync(session)).Any(i => i["status"]!.GetValue<string>() == "SHUTDOWN"))
                    {
                        await Task.Delay(250);
                    }
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Xunit.Sdk.XunitException)
            {
                Log($"[fixture] deleting instances failed: {e.Message}");
            }
        }
    }

    private async Task KillLeftoversAsync()
    {
        var watch = Stopwatch.StartNew();
        while (ProcessTable.Mentioning(DataDir) is { Count: > 0 } leftovers && watch.Elapsed < TimeSpan.FromSeconds(15))
        {
            foreach (var (pid, _) in leftovers)
            {
                try
                {
                    using var process = Process.GetProcessById(pid);
                    process.Kill();
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    // Already gone.
                }
            }

            await Task.Delay(100);
        }
    }

    private void Log(string? line)
    {
        if (line is null)
        {
            return;
        }

        _log.Enqueue(line);
        while (_log.Count > 2000 && _log.TryDequeue(out _))
        {
        }
    }

    private static string ServerAssembly()
    {
        var configuration = typeof(HoardServerFixture).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hoard.slnx")))
        {
            dir = dir.Parent;
        }

        Assert.True(dir is not null, $"No Hoard.slnx above {AppContext.BaseDirectory}");
        return Path.Combine(dir.FullName, "src", "Hoard.Server", "bin", configuration, "net10.0", "hoard-server.dll");
    }

    private static string DotnetHost() =>
        Environment.ProcessPath is { } self && Path.GetFileName(self) == "dotnet" ? self : "dotnet";

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// A second octet for instance addresses (127.B.x.y) that no listening socket on this host uses, so this
    /// server's instances cannot collide with those of another Hoard server running here.
    /// </summary>
    internal static int FreeLoopbackOctet()
    {
        var listening = File.ReadAllLines("/proc/net/tcp").Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 3 && f[3] == "0A")
            .Select(f => f[1][..8])
            .Where(a => a.EndsWith("7F", StringComparison.Ordinal))
            .Select(a => int.Parse(a[4..6], NumberStyles.HexNumber, CultureInfo.InvariantCulture))
            .ToHashSet();
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var octet = Random.Shared.Next(101, 250);
            if (!listening.Contains(octet))
            {
                return octet;
            }
        }

        throw new InvalidOperationException("No free 127.B.0.0/16 range for instance addresses.");
    }
}
