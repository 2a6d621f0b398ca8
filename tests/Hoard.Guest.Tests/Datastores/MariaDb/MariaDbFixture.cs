using System.Diagnostics;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.MariaDb;

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
    private readonly TestInstance _instance;

    private MariaDbInstance(TestInstance instance) => _instance = instance;

    public string Root => _instance.Root;

    public GuestConfig Config => _instance.Config;

    public List<string> LogLines => _instance.LogLines;

    public static MariaDbInstance Create() =>
        new(TestInstance.Create("mariadb"));

    public MariaDbManager CreateManager() => new(Config, _instance.CreateLogger());

    public void Dispose() => _instance.Dispose();
}
