using System.Collections.Concurrent;
using System.Text.Json;
using Hoard.Contracts.Bus;
using Hoard.Messaging.Embedded;

namespace Hoard.Core.Tests.Messaging.Embedded;

public sealed class EmbeddedBusTests : IAsyncDisposable
{
    private readonly EmbeddedBus _bus = new();

    public ValueTask DisposeAsync() => _bus.DisposeAsync();

    [Fact]
    public async Task Cast_IsDeliveredToTheTopicsSubscriber()
    {
        var received = new TaskCompletionSource<BusEnvelope>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var _ = await _bus.SubscribeAsync("guest.a", (m, _) =>
        {
            received.TrySetResult(m);
            return Task.FromResult<JsonElement?>(null);
        }, default);

        await _bus.CastAsync("guest.a", "prepare", Json("""{"size":3}"""), default);

        var message = await Poll.WithinAsync(received.Task, "The cast was not delivered");
        Assert.Equal(BusKinds.Cast, message.Kind);
        Assert.Equal("prepare", message.Method);
        Assert.Equal(3, message.Args!.Value.GetProperty("size").GetInt32());
    }

    [Fact]
    public async Task Call_ReturnsTheHandlersReply()
    {
        await using var _ = await _bus.SubscribeAsync("guest.a", (m, _) =>
            Task.FromResult<JsonElement?>(Json($$"""{"echo":"{{m.Args!.Value.GetProperty("say").GetString()}}","method":"{{m.Method}}"}""")), default);

        var reply = await _bus.CallAsync("guest.a", "list_databases", Json("""{"say":"hi"}"""), TimeSpan.FromSeconds(10), default);

        Assert.Equal("hi", reply!.Value.GetProperty("echo").GetString());
        Assert.Equal("list_databases", reply.Value.GetProperty("method").GetString());
    }

    [Fact]
    public async Task Call_WithoutAReply_ThrowsBusTimeoutException()
    {
        await using var _ = await _bus.SubscribeAsync("guest.slow", async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return null;
        }, default);

        var e = await Assert.ThrowsAsync<BusTimeoutException>(() =>
            _bus.CallAsync("guest.slow", "restart", null, TimeSpan.FromMilliseconds(200), default));

        Assert.Equal("guest.slow", e.Topic);
        Assert.Contains("restart", e.Message);
    }

    [Fact]
    public async Task Call_HandlerException_BecomesRemoteCallExceptionWithItsCode()
    {
        await using var _ = await _bus.SubscribeAsync("guest.a", (_, _) =>
            throw new HandlerException("DatabaseNotFound", "Database 'x' does not exist."), default);

        var e = await Assert.ThrowsAsync<RemoteCallException>(() =>
            _bus.CallAsync("guest.a", "delete_database", null, TimeSpan.FromSeconds(10), default));

        Assert.Equal("DatabaseNotFound", e.Code);
        Assert.Equal("Database 'x' does not exist.", e.Message);
    }

    [Fact]
    public async Task Call_UnexpectedHandlerFailure_BecomesRemoteCallExceptionCodedInternal()
    {
        await using var _ = await _bus.SubscribeAsync("guest.a", (_, _) => throw new InvalidOperationException("boom"), default);

        var e = await Assert.ThrowsAsync<RemoteCallException>(() =>
            _bus.CallAsync("guest.a", "get_user", null, TimeSpan.FromSeconds(10), default));

        Assert.Equal("Internal", e.Code);
        Assert.Contains("boom", e.Message);
    }

    [Fact]
    public async Task MessagesSentBeforeAnyoneSubscribed_AreDeliveredInOrderToTheFirstSubscriber()
    {
        for (var i = 0; i < 5; i++)
        {
            await _bus.CastAsync("guest.late", "m" + i, null, default);
        }

        var received = new ConcurrentQueue<string>();
        await using var _ = await _bus.SubscribeAsync("guest.late", (m, _) =>
        {
            received.Enqueue(m.Method);
            return Task.FromResult<JsonElement?>(null);
        }, default);

        await Poll.UntilAsync(() => received.Count == 5, "The backlog was not delivered to the late subscriber");
        Assert.Equal(["m0", "m1", "m2", "m3", "m4"], received.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task CallSentBeforeAnyoneSubscribed_IsAnsweredOnceSomeoneDoes()
    {
        var call = _bus.CallAsync("guest.starting", "rpc_ping", null, TimeSpan.FromSeconds(10), default);
        Assert.False(call.IsCompleted);

        await using var _ = await _bus.SubscribeAsync("guest.starting", (_, _) => Task.FromResult<JsonElement?>(Json("""{"pong":true}""")), default);

        var reply = await call;
        Assert.True(reply!.Value.GetProperty("pong").GetBoolean());
    }

    [Fact]
    public async Task CompetingConsumers_EachMessageGoesToExactlyOneOfThem()
    {
        var first = new ConcurrentBag<string>();
        var second = new ConcurrentBag<string>();
        await using var a = await _bus.SubscribeAsync("taskmanager", (m, _) =>
        {
            first.Add(m.Method);
            return Task.FromResult<JsonElement?>(null);
        }, default);
        await using var b = await _bus.SubscribeAsync("taskmanager", (m, _) =>
        {
            second.Add(m.Method);
            return Task.FromResult<JsonElement?>(null);
        }, default);

        for (var i = 0; i < 20; i++)
        {
            await _bus.CastAsync("taskmanager", "m" + i, null, default);
        }

        await Poll.UntilAsync(() => first.Count + second.Count >= 20, "Not all messages were delivered");
        var all = first.Concat(second).ToList();
        Assert.Equal(20, all.Count);
        Assert.Equal(20, all.Distinct().Count());
        Assert.NotEmpty(first);
        Assert.NotEmpty(second);
    }

    [Fact]
    public async Task DisposedSubscription_GetsNothingMoreAndTheTopicBacklogsAgain()
    {
        var old = new ConcurrentBag<string>();
        var subscription = await _bus.SubscribeAsync("guest.b", (m, _) =>
        {
            old.Add(m.Method);
            return Task.FromResult<JsonElement?>(null);
        }, default);
        await subscription.DisposeAsync();

        await _bus.CastAsync("guest.b", "after", null, default);
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var _ = await _bus.SubscribeAsync("guest.b", (m, _) =>
        {
            received.TrySetResult(m.Method);
            return Task.FromResult<JsonElement?>(null);
        }, default);

        Assert.Equal("after", await Poll.WithinAsync(received.Task, "The backlog was not delivered to the new subscriber"));
        Assert.Empty(old);
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();
}
