using System.Collections.Concurrent;
using System.Text.Json;
using Hoard.Contracts.Bus;
using Hoard.Messaging.Embedded;

namespace Hoard.Core.Tests.Messaging.Embedded;

/// <summary>
/// What only the embedded bus promises: a call waits for a subscriber that comes later, and a topic backlogs again once
/// its subscription is gone. The semantics both transports share are <see cref="BusContractTests"/>.
/// </summary>
public sealed class EmbeddedBusTests : IAsyncDisposable
{
    private readonly EmbeddedBus _bus = new();

    public ValueTask DisposeAsync() => _bus.DisposeAsync();

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
