using System.Collections.Concurrent;
using System.Text.Json;
using Hoard.Contracts.Bus;

namespace Hoard.Core.Tests.Messaging;

/// <summary>
/// What every bus transport must do. A subclass per transport supplies two connections to one bus: the server's and
/// a guest's (the same object where the transport has no separate guest side in-process).
/// </summary>
public abstract class BusContractTests : IAsyncLifetime
{
    protected IMessageBus Server { get; private set; } = null!;
    protected IMessageBus Guest { get; private set; } = null!;

    protected abstract Task<(IMessageBus Server, IMessageBus Guest)> ConnectAsync();

    protected abstract ValueTask DisconnectAsync(IMessageBus server, IMessageBus guest);

    public async Task InitializeAsync() => (Server, Guest) = await ConnectAsync();

    public async Task DisposeAsync() => await DisconnectAsync(Server, Guest);

    /// <summary>A topic no other test uses: a broker outlives one test.</summary>
    protected static string Topic(string prefix) => prefix + "." + Guid.NewGuid().ToString("N")[..12];

    [BusFact]
    public async Task Cast_IsDeliveredExactlyOnce()
    {
        var topic = Topic("guest");
        var received = new ConcurrentQueue<BusEnvelope>();
        await using var _ = await Guest.SubscribeAsync(topic, (m, _) =>
        {
            received.Enqueue(m);
            return Task.FromResult<JsonElement?>(null);
        }, default);

        await Server.CastAsync(topic, "prepare", Json("""{"size":3}"""), default);
        await Server.CastAsync(topic, "marker", null, default);

        await Poll.UntilAsync(() => received.Any(m => m.Method == "marker"), "The casts were not delivered");
        var prepare = Assert.Single(received, m => m.Method == "prepare");
        Assert.Equal(BusKinds.Cast, prepare.Kind);
        Assert.Equal(topic, prepare.Topic);
        Assert.Equal(3, prepare.Args!.Value.GetProperty("size").GetInt32());
    }

    [BusFact]
    public async Task Call_ReturnsTheHandlersReply()
    {
        var topic = Topic("guest");
        await using var _ = await Guest.SubscribeAsync(topic, (m, _) =>
            Task.FromResult<JsonElement?>(Json($$"""{"echo":"{{m.Args!.Value.GetProperty("say").GetString()}}","method":"{{m.Method}}"}""")), default);

        var reply = await Server.CallAsync(topic, "list_databases", Json("""{"say":"hi"}"""), TimeSpan.FromSeconds(10), default);

        Assert.Equal("hi", reply!.Value.GetProperty("echo").GetString());
        Assert.Equal("list_databases", reply.Value.GetProperty("method").GetString());
    }

    [BusFact]
    public async Task Call_WithoutAReply_ThrowsBusTimeoutException()
    {
        var topic = Topic("guest");
        await using var _ = await Guest.SubscribeAsync(topic, async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return null;
        }, default);

        var e = await Assert.ThrowsAsync<BusTimeoutException>(() =>
            Server.CallAsync(topic, "restart", null, TimeSpan.FromMilliseconds(300), default));

        Assert.Equal(topic, e.Topic);
        Assert.Contains("restart", e.Message);
    }

    [BusFact]
    public async Task Call_HandlerException_BecomesRemoteCallExceptionWithItsCode()
    {
        var topic = Topic("guest");
        await using var _ = await Guest.SubscribeAsync(topic, (_, _) =>
            throw new HandlerException("DatabaseNotFound", "Database 'x' does not exist."), default);

        var e = await Assert.ThrowsAsync<RemoteCallException>(() =>
            Server.CallAsync(topic, "delete_database", null, TimeSpan.FromSeconds(10), default));

        Assert.Equal("DatabaseNotFound", e.Code);
        Assert.Equal("Database 'x' does not exist.", e.Message);
    }

    [BusFact]
    public async Task Call_UnexpectedHandlerFailure_BecomesRemoteCallExceptionCodedInternal()
    {
        var topic = Topic("guest");
        await using var _ = await Guest.SubscribeAsync(topic, (_, _) => throw new InvalidOperationException("boom"), default);

        var e = await Assert.ThrowsAsync<RemoteCallException>(() =>
            Server.CallAsync(topic, "get_user", null, TimeSpan.FromSeconds(10), default));

        Assert.Equal("Internal", e.Code);
        Assert.Contains("boom", e.Message);
    }

    [BusFact]
    public async Task Topics_AreIsolated()
    {
        var (mine, other) = (Topic("guest"), Topic("guest"));
        var wrong = new ConcurrentBag<string>();
        var right = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var a = await Guest.SubscribeAsync(other, (m, _) =>
        {
            wrong.Add(m.Method);
            return Task.FromResult<JsonElement?>(null);
        }, default);
        await using var b = await Guest.SubscribeAsync(mine, (m, _) =>
        {
            right.TrySetResult(m.Method);
            return Task.FromResult<JsonElement?>(null);
        }, default);

        await Server.CastAsync(mine, "resize", null, default);

        Assert.Equal("resize", await Poll.WithinAsync(right.Task, "The cast did not reach its topic"));
        await Server.CallAsync(other, "rpc_ping", null, TimeSpan.FromSeconds(10), default);
        Assert.Equal(["rpc_ping"], wrong);
    }

    [BusFact]
    public async Task MessagesSentBeforeAnyoneSubscribed_AreDeliveredToTheFirstSubscriber()
    {
        var topic = Topic("guest");
        for (var i = 0; i < 5; i++)
        {
            await Server.CastAsync(topic, "m" + i, null, default);
        }

        var received = new ConcurrentQueue<string>();
        await using var _ = await Guest.SubscribeAsync(topic, (m, _) =>
        {
            received.Enqueue(m.Method);
            return Task.FromResult<JsonElement?>(null);
        }, default);

        await Poll.UntilAsync(() => received.Count == 5, "The backlog was not delivered to the late subscriber");
        Assert.Equal(["m0", "m1", "m2", "m3", "m4"], received.Order(StringComparer.Ordinal));
    }

    [BusFact]
    public async Task CompetingConsumers_EachMessageGoesToExactlyOneOfThem()
    {
        var topic = Topic("taskmanager");
        var first = new ConcurrentBag<string>();
        var second = new ConcurrentBag<string>();
        await using var a = await Server.SubscribeAsync(topic, (m, _) =>
        {
            first.Add(m.Method);
            return Task.FromResult<JsonElement?>(null);
        }, default);
        await using var b = await Guest.SubscribeAsync(topic, (m, _) =>
        {
            second.Add(m.Method);
            return Task.FromResult<JsonElement?>(null);
        }, default);

        for (var i = 0; i < 20; i++)
        {
            await Server.CastAsync(topic, "m" + i, null, default);
        }

        await Poll.UntilAsync(() => first.Count + second.Count >= 20, "Not all messages were delivered");
        var all = first.Concat(second).ToList();
        Assert.Equal(20, all.Count);
        Assert.Equal(20, all.Distinct().Count());
        Assert.NotEmpty(first);
        Assert.NotEmpty(second);
    }

    [BusFact]
    public async Task DisposedSubscription_GetsNothingMore()
    {
        var topic = Topic("guest");
        var old = new ConcurrentBag<string>();
        var subscription = await Guest.SubscribeAsync(topic, (m, _) =>
        {
            old.Add(m.Method);
            return Task.FromResult<JsonElement?>(null);
        }, default);
        await subscription.DisposeAsync();

        await Server.CastAsync(topic, "after", null, default);
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var _ = await Guest.SubscribeAsync(topic, (m, _) =>
        {
            received.TrySetResult(m.Method);
            return Task.FromResult<JsonElement?>(null);
        }, default);

        Assert.Equal("after", await Poll.WithinAsync(received.Task, "The waiting message was not delivered to the new subscriber"));
        Assert.Empty(old);
    }

    protected static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();
}
