using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading.Channels;
using Hoard.Contracts.Bus;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hoard.Messaging.Embedded;

/// <summary>
/// A guest's connection to the embedded bus. Reconnects with backoff when the server goes away (a server
/// restart must not disturb a running database), re-subscribes, and keeps outgoing messages queued meanwhile.
/// </summary>
public sealed class EmbeddedBusClient : IMessageBus, IAsyncDisposable
{
    private const int OutgoingLimit = 1000;

    private readonly string _socketPath;
    private readonly string _identity;
    private readonly string _secret;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _inbox = "reply." + Guid.NewGuid().ToString("N");
    private readonly PendingCalls _pending = new();
    private readonly ConcurrentDictionary<string, BusHandler> _handlers = new(StringComparer.Ordinal);
    private readonly Channel<BusEnvelope> _outgoing = Channel.CreateBounded<BusEnvelope>(
        new BoundedChannelOptions(OutgoingLimit) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _firstConnection = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _connectionLoop;

    public EmbeddedBusClient(string socketPath, string identity, string secret, TimeProvider? time = null,
        ILogger? logger = null)
    {
        _socketPath = socketPath;
        _identity = identity;
        _secret = secret;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger<EmbeddedBusClient>.Instance;
    }

    /// <summary>Completes once the first connection is established (later reconnects happen in the background).</summary>
    public Task Connected => _firstConnection.Task;

    public void Start() => _connectionLoop ??= ConnectionLoopAsync(_stopping.Token);

    public Task CastAsync(string topic, string method, JsonElement? args, CancellationToken cancellationToken)
    {
        _outgoing.Writer.TryWrite(new BusEnvelope
        {
            Kind = BusKinds.Cast, Topic = topic, Method = method, Args = args, Sent = _time.GetUtcNow(),
        });
        return Task.CompletedTask;
    }

    public Task<JsonElement?> CallAsync(string topic, string method, JsonElement? args, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var (id, reply) = _pending.Register();
        _outgoing.Writer.TryWrite(new BusEnvelope
        {
            Kind = BusKinds.Call, Topic = topic, Method = method, Args = args, Sent = _time.GetUtcNow(),
            CorrelationId = id, ReplyTo = _inbox,
        });
        return _pending.AwaitAsync(id, reply, topic, method, timeout, cancellationToken);
    }

    public Task<IAsyncDisposable> SubscribeAsync(string topic, BusHandler handler, CancellationToken cancellationToken)
    {
        _handlers[topic] = handler;
        _outgoing.Writer.TryWrite(new BusEnvelope { Kind = ControlKinds.Subscribe, Topic = topic });
        return Task.FromResult<IAsyncDisposable>(new Subscription(this, topic));
    }

    private async Task ConnectionLoopAsync(CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(50);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(_socketPath), cancellationToken);
                await using var stream = new NetworkStream(socket, ownsSocket: false);
                await HandshakeAsync(stream, cancellationToken);
                backoff = TimeSpan.FromMilliseconds(50);
                _firstConnection.TrySetResult();
                await RunSessionAsync(stream, cancellationToken);
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (UnauthorizedAccessException e)
            {
                _logger.LogError("Bus refused this guest: {Reason}", e.Message);
            }
            catch (Exception e) when (e is IOException or SocketException or InvalidDataException or JsonException)
            {
                _logger.LogDebug("Bus connection lost or refused: {Reason}", e.Message);
            }

            await Task.Delay(backoff, _time, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
        }
    }

    private async Task HandshakeAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var hello = JsonSerializer.SerializeToElement(new HelloArgs(_identity, _secret), HelloJson.Default.HelloArgs);
        await FrameCodec.WriteAsync(stream, new BusEnvelope { Kind = ControlKinds.Hello, Topic = "", Args = hello }, cancellationToken);
        var answer = await FrameCodec.ReadAsync(stream, cancellationToken);
        if (answer?.Kind != ControlKinds.Welcome)
        {
            throw new UnauthorizedAccessException("the bus did not accept this guest's identity and secret");
        }

        foreach (var topic in _handlers.Keys.Append(_inbox))
        {
            await FrameCodec.WriteAsync(stream, new BusEnvelope { Kind = ControlKinds.Subscribe, Topic = topic }, cancellationToken);
        }
    }

    private async Task RunSessionAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        using var session = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var writer = FrameCodec.PumpAsync(_outgoing.Reader, stream, stream.Socket, session.Token);
        try
        {
            while (await FrameCodec.ReadAsync(stream, session.Token) is { } frame)
            {
                Dispatch(frame);
            }
        }
        finally
        {
            await session.CancelAsync();
            await writer.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private void Dispatch(BusEnvelope frame)
    {
        if (frame.Kind == BusKinds.Reply)
        {
            _pending.Complete(frame);
            return;
        }

        if (!_handlers.TryGetValue(frame.Topic, out var handler))
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            var reply = await HandlerInvoker.InvokeAsync(handler, frame, _time, _logger, _stopping.Token);
            if (reply is not null)
            {
                _outgoing.Writer.TryWrite(reply);
            }
        });
    }


    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_connectionLoop is not null)
        {
            await _connectionLoop.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private sealed class Subscription(EmbeddedBusClient client, string topic) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            client._handlers.TryRemove(topic, out _);
            client._outgoing.Writer.TryWrite(new BusEnvelope { Kind = ControlKinds.Unsubscribe, Topic = topic });
            return ValueTask.CompletedTask;
        }
    }
}
