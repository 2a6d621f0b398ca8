using System.Collections.Concurrent;
using System.Text.Json;
using Hoard.Contracts.Bus;
using Hoard.Messaging.Embedded;

namespace Hoard.Core.Tests.Messaging.Embedded;

/// <summary>Guests and the server's broker over a real Unix socket in a temp dir.</summary>
public sealed class EmbeddedBusListenerTests : IAsyncLifetime
{
    private const string Guest = "i-1";
    private const string Secret = "s3cret-of-i-1";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "hbus-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly TestAuthenticator _authenticator = new(new() { [Guest] = Secret, ["i-2"] = "s3cret-of-i-2" });
    private readonly List<IAsyncDisposable> _cleanup = [];
    private EmbeddedBus _bus = null!;

    private string SocketPath => Path.Combine(_dir, "bus.sock");

    public Task InitializeAsync()
    {
        (_bus, _) = StartServer(_authenticator);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var item in Enumerable.Reverse(_cleanup))
        {
            await item.DisposeAsync();
        }

        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public async Task GuestWithItsSecret_ServesCallsOnItsOwnTopic()
    {
        var client = await ConnectedClientAsync(Guest, Secret, (m, _) =>
            Task.FromResult<JsonElement?>(Json($$"""{"pong":"{{m.Method}}"}""")));

        var reply = await _bus.CallAsync("guest." + Guest, "rpc_ping", null, TimeSpan.FromSeconds(10), default);

        Assert.Equal("rpc_ping", reply!.Value.GetProperty("pong").GetString());
        Assert.True(client.Connected.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task GuestCallingTheConductor_GetsTheReply_AndIsNamedAsSender()
    {
        var senders = new ConcurrentQueue<string?>();
        await SubscribeAsync(_bus, "conductor", (m, _) =>
        {
            senders.Enqueue(m.Sender);
            return Task.FromResult<JsonElement?>(Json("""{"ok":true}"""));
        });
        var client = await ConnectedClientAsync(Guest, Secret);

        var reply = await client.CallAsync("conductor", "heartbeat", null, TimeSpan.FromSeconds(10), default);

        Assert.True(reply!.Value.GetProperty("ok").GetBoolean());
        Assert.Equal([Guest], senders);
    }

    [Fact]
    public async Task WrongSecret_IsRefusedAndTheConnectionClosed()
    {
        await using var peer = await RawBusPeer.ConnectAsync(SocketPath);
        await peer.HelloAsync(Guest, "not-the-secret");

        var answer = await peer.ReceiveAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("refused", answer?.Kind);
        Assert.Null(await peer.ReceiveAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task FirstFrameThatIsNotAHello_IsRefused()
    {
        await using var peer = await RawBusPeer.ConnectAsync(SocketPath);
        await peer.SendAsync(new BusEnvelope { Kind = BusKinds.Cast, Topic = "conductor", Method = "heartbeat" });

        Assert.Equal("refused", (await peer.ReceiveAsync(TimeSpan.FromSeconds(10)))?.Kind);
    }

    [Fact]
    public async Task ClientWithAWrongSecret_NeverConnectsAndKeepsRetrying()
    {
        var client = Track(new EmbeddedBusClient(SocketPath, Guest, "not-the-secret"));
        client.Start();

        await Poll.UntilAsync(() => _authenticator.Attempts(Guest) >= 2, "The client did not retry after being refused");
        Assert.False(client.Connected.IsCompleted, "a client with a wrong secret was let in");
        Assert.Equal(0, _authenticator.Accepted(Guest));
    }

    [Fact]
    public async Task Guest_CannotSubscribeToAnotherGuestsTopic()
    {
        var stolen = 0;
        var client = await ConnectedClientAsync(Guest, Secret);
        await SubscribeAsync(_bus, "conductor", (_, _) => Task.FromResult<JsonElement?>(null));
        await client.SubscribeAsync("guest.i-2", (_, _) =>
        {
            Interlocked.Increment(ref stolen);
            return Task.FromResult<JsonElement?>(null);
        }, default);
        // Frames of one connection are handled in order: once this call is answered, the subscribe was handled.
        await client.CallAsync("conductor", "heartbeat", null, TimeSpan.FromSeconds(10), default);

        await _bus.CastAsync("guest.i-2", "prepare", null, default);
        var rightful = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await SubscribeAsync(_bus, "guest.i-2", (m, _) =>
        {
            rightful.TrySetResult(m.Method);
            return Task.FromResult<JsonElement?>(null);
        });

        Assert.Equal("prepare", await Poll.WithinAsync(rightful.Task, "The message for guest i-2 did not wait for its rightful subscriber"));
        Assert.Equal(0, stolen);
    }

    [Fact]
    public async Task Guest_CannotSendToTopicsOtherThanTheConductor()
    {
        var reached = 0;
        await SubscribeAsync(_bus, "taskmanager", (_, _) =>
        {
            Interlocked.Increment(ref reached);
            return Task.FromResult<JsonElement?>(Json("{}"));
        });
        var client = await ConnectedClientAsync(Guest, Secret);

        await Assert.ThrowsAsync<BusTimeoutException>(() =>
            client.CallAsync("taskmanager", "delete_instance", null, TimeSpan.FromSeconds(1), default));
        Assert.Equal(0, reached);
    }

    [Fact]
    public async Task SenderClaimedByTheGuest_IsReplacedWithItsIdentity()
    {
        var received = new TaskCompletionSource<BusEnvelope>(TaskCreationOptions.RunContinuationsAsynchronously);
        await SubscribeAsync(_bus, "conductor", (m, _) =>
        {
            received.TrySetResult(m);
            return Task.FromResult<JsonElement?>(null);
        });
        await using var peer = await RawBusPeer.ConnectAsync(SocketPath);
        await peer.HelloAsync(Guest, Secret);
        Assert.Equal("welcome", (await peer.ReceiveAsync(TimeSpan.FromSeconds(10)))?.Kind);

        await peer.SendAsync(new BusEnvelope { Kind = BusKinds.Cast, Topic = "conductor", Method = "heartbeat", Sender = "i-2" });

        var message = await Poll.WithinAsync(received.Task, "The guest's cast did not reach the conductor");
        Assert.Equal(Guest, message.Sender);
    }

    [Fact]
    public async Task Client_ReconnectsToARestartedServerOnTheSamePath_AndSubscribesAgain()
    {
        var client = await ConnectedClientAsync(Guest, Secret, (_, _) => Task.FromResult<JsonElement?>(Json("""{"pong":true}""")));
        await _bus.CallAsync("guest." + Guest, "rpc_ping", null, TimeSpan.FromSeconds(10), default);

        foreach (var item in Enumerable.Reverse(_cleanup.Where(c => c is EmbeddedBusListener or EmbeddedBus).ToList()))
        {
            await item.DisposeAsync();
            _cleanup.Remove(item);
        }

        var restarted = new TestAuthenticator(new() { [Guest] = Secret });
        var (bus, _) = StartServer(restarted);
        var senders = new ConcurrentQueue<string?>();
        await SubscribeAsync(bus, "conductor", (m, _) =>
        {
            senders.Enqueue(m.Sender);
            return Task.FromResult<JsonElement?>(null);
        });

        var reply = await bus.CallAsync("guest." + Guest, "rpc_ping", null, TimeSpan.FromSeconds(30), default);
        Assert.True(reply!.Value.GetProperty("pong").GetBoolean());
        Assert.Equal(1, restarted.Accepted(Guest));

        await client.CastAsync("conductor", "heartbeat", null, default);
        await Poll.UntilAsync(() => senders.Contains(Guest), "The reconnected guest's cast did not reach the new server");
    }

    private (EmbeddedBus Bus, EmbeddedBusListener Listener) StartServer(IBusAuthenticator authenticator)
    {
        var bus = Track(new EmbeddedBus());
        var listener = Track(new EmbeddedBusListener(bus, SocketPath, authenticator));
        listener.Start();
        return (bus, listener);
    }

    private async Task<EmbeddedBusClient> ConnectedClientAsync(string identity, string secret, BusHandler? handler = null)
    {
        var client = Track(new EmbeddedBusClient(SocketPath, identity, secret));
        if (handler is not null)
        {
            await client.SubscribeAsync("guest." + identity, handler, default);
        }

        client.Start();
        await Poll.WithinAsync(client.Connected.ContinueWith(_ => true, TaskScheduler.Default), $"Guest {identity} did not connect");
        return client;
    }

    private async Task SubscribeAsync(IMessageBus bus, string topic, BusHandler handler) =>
        Track(await bus.SubscribeAsync(topic, handler, default));

    private T Track<T>(T item) where T : IAsyncDisposable
    {
        _cleanup.Add(item);
        return item;
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    private sealed class TestAuthenticator(Dictionary<string, string> secrets) : IBusAuthenticator
    {
        private readonly ConcurrentDictionary<string, int> _attempts = new();
        private readonly ConcurrentDictionary<string, int> _accepted = new();

        public int Attempts(string identity) => _attempts.GetValueOrDefault(identity);

        public int Accepted(string identity) => _accepted.GetValueOrDefault(identity);

        public ValueTask<bool> AuthenticateAsync(string identity, string secret, CancellationToken cancellationToken)
        {
            _attempts.AddOrUpdate(identity, 1, (_, n) => n + 1);
            var ok = secrets.TryGetValue(identity, out var expected) && expected == secret;
            if (ok)
            {
                _accepted.AddOrUpdate(identity, 1, (_, n) => n + 1);
            }

            return ValueTask.FromResult(ok);
        }
    }
}
