using System.Diagnostics;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.Redis;

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
    private readonly TestInstance _instance;

    private RedisInstance(TestInstance instance) => _instance = instance;

    public string Root => _instance.Root;

    public GuestConfig Config => _instance.Config;

    public List<string> LogLines => _instance.LogLines;

    public static RedisInstance Create() =>
        new(TestInstance.Create("redis"));

    public RedisManager CreateManager(RedisOptions? options = null) => new(Config, _instance.CreateLogger(), options);

    public RedisConnection ConnectTcp(string? user, string? password) =>
        RedisConnection.OpenTcp(Config.Address, Config.Port, user, password, TimeSpan.FromSeconds(10));

    public void Dispose() => _instance.Dispose();
}
