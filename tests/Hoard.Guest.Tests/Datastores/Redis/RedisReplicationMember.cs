using System.Diagnostics;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.Redis;

namespace Hoard.Guest.Tests.Datastores.Redis;

/// <summary>One instance of a replication set in a test: its directories, port, manager and a customer user.</summary>
internal sealed class RedisReplicationMember : IAsyncDisposable
{
    public const string User = "alice";
    public const string Password = "Alice-Secret-42";
    private static readonly CancellationToken None = CancellationToken.None;

    private RedisReplicationMember(RedisInstance instance, RedisManager manager)
    {
        Instance = instance;
        Manager = manager;
    }

    public RedisInstance Instance { get; }

    public RedisManager Manager { get; private set; }

    public string Id => Instance.Config.InstanceId;

    /// <summary>How long the prepare took, as its caller saw it.</summary>
    public TimeSpan PrepareTime { get; private set; }

    /// <summary>A new standalone instance with the customer user <see cref="User"/>.</summary>
    public static async Task<RedisReplicationMember> SourceAsync()
    {
        var member = new RedisReplicationMember(RedisInstance.Create(), null!);
        member.Manager = member.Instance.CreateManager();
        var watch = Stopwatch.StartNew();
        await member.Manager.PrepareAsync(new PrepareRequest("redis", "7.0", 256, 1, 1, [], [new UserSpec(User, Password)]), None);
        member.PrepareTime = watch.Elapsed;
        return member;
    }

    /// <summary>A new replica of <paramref name="source"/>, built as the server builds one: context first, then prepare.</summary>
    public static async Task<RedisReplicationMember> ReplicaOfAsync(RedisReplicationMember source, RedisOptions? options = null)
    {
        var member = new RedisReplicationMember(RedisInstance.Create(), null!);
        member.Manager = member.Instance.CreateManager(options);
        var watch = Stopwatch.StartNew();
        var context = await source.Manager.GetReplicaContextAsync(new ReplicaContextRequest(member.Id), None);
        await member.Manager.PrepareAsync(new PrepareRequest("redis", "7.0", 256, 1, 1, [], [], ReplicaOf: context), None);
        member.PrepareTime = watch.Elapsed;
        return member;
    }

    /// <summary>Stops this guest's manager (and so its server) and starts a new one on the same directories, as a restarted guest does.</summary>
    public async Task RestartGuestAsync()
    {
        await Manager.DisposeAsync();
        Manager = Instance.CreateManager();
        await Manager.StartAsync(None);
    }

    /// <summary>Stops the server for good, as a dead host would.</summary>
    public async Task KillAsync() => await Manager.DisposeAsync();

    public RedisConnection Connect() => Instance.ConnectTcp(User, Password);

    public RedisConnection ConnectWithTimeout(TimeSpan timeout) =>
        RedisConnection.OpenTcp(Instance.Config.Address, Instance.Config.Port, User, Password, timeout);

    public async Task<ReplicationReport> StatusAsync() =>
        await Manager.GetReplicationStatusAsync(None) ?? throw new InvalidOperationException($"{Id} reports no replication state.");

    public string? Get(string key)
    {
        using var connection = Connect();
        var value = connection.Execute("GET", key);
        return value.IsNil ? null : value.AsString();
    }

    public void Set(string key, string value)
    {
        using var connection = Connect();
        connection.Execute("SET", key, value);
    }

    public async ValueTask DisposeAsync()
    {
        await Manager.DisposeAsync();
        Instance.Dispose();
    }
}
