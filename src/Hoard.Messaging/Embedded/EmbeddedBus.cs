using System.Text.Json;
using Hoard.Contracts.Bus;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hoard.Messaging.Embedded;

/// <summary>
/// The broker of the embedded transport, living in hoard-server. Local subscribers get messages in-process;
/// guests reach it through <see cref="EmbeddedBusListener"/>. A topic with several subscribers delivers each
/// message to one of them (competing consumers); a topic with none keeps a bounded backlog until one arrives,
/// so a cast to a guest that is still starting is not lost.
/// </summary>
public sealed class EmbeddedBus : IMessageBus, IAsyncDisposable
{
    internal const int BacklogLimit = 1000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, TopicState> _topics = new(StringComparer.Ordinal);
    private readonly PendingCalls _pending = new();
    private readonly string _inbox = "reply." + Guid.NewGuid().ToString("N");
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();

    public EmbeddedBus(TimeProvider? time = null, ILogger<EmbeddedBus>? logger = null)
    {
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger<EmbeddedBus>.Instance;
    }

    public Task CastAsync(string topic, string method, JsonElement? args, CancellationToken cancellationToken)
    {
        Route(new BusEnvelope { Kind = BusKinds.Cast, Topic = topic, Method = method, Args = args, Sent = _time.GetUtcNow() });
        return Task.CompletedTask;
    }

    public Task<JsonElement?> CallAsync(string topic, string method, JsonElement? args, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var (id, reply) = _pending.Register();
        Route(new BusEnvelope
        {
            Kind = BusKinds.Call, Topic = topic, Method = method, Args = args, Sent = _time.GetUtcNow(),
            CorrelationId = id, ReplyTo = _inbox,
        });
        return _pending.AwaitAsync(id, reply, topic, method, timeout, cancellationToken);
    }

    public Task<IAsyncDisposable> SubscribeAsync(string topic, BusHandler handler, CancellationToken cancellationToken)
    {
        var subscriber = new LocalSubscriber(this, handler);
        AddSubscriber(topic, subscriber);
        return Task.FromResult<IAsyncDisposable>(new Subscription(this, topic, subscriber));
    }

    /// <summary>Delivers a message to its topic. Called for local sends and for frames from remote sessions.</summary>
    internal void Route(BusEnvelope message)
    {
        if (message.Kind == BusKinds.Reply && message.Topic == _inbox)
        {
            _pending.Complete(message);
            return;
        }

        ISubscriber? target;
        lock (_gate)
        {
            var state = GetTopic(message.Topic);
            if (state.Subscribers.Count == 0)
            {
                if (state.Backlog.Count >= BacklogLimit)
                {
                    state.Backlog.Dequeue();
                    _logger.LogWarning("Backlog of topic {Topic} is full; dropped its oldest message", message.Topic);
                }

                state.Backlog.Enqueue(message);
                return;
            }

            target = state.Subscribers[state.Next++ % state.Subscribers.Count];
        }

        target.Deliver(message);
    }

    /// <summary>The topics holding messages that wait for a consumer, with how many each holds.</summary>
    public IReadOnlyList<KeyValuePair<string, int>> Backlogs()
    {
        lock (_gate)
        {
            return [.. _topics.Where(t => t.Value.Backlog.Count > 0).Select(t => KeyValuePair.Create(t.Key, t.Value.Backlog.Count))];
        }
    }

    internal void AddSubscriber(string topic, ISubscriber subscriber)
    {
        List<BusEnvelope> backlog;
        lock (_gate)
        {
            var state = GetTopic(topic);
            state.Subscribers.Add(subscriber);
            backlog = [.. state.Backlog];
            state.Backlog.Clear();
        }

        foreach (var message in backlog)
        {
            subscriber.Deliver(message);
        }
    }

    internal void RemoveSubscriber(string topic, ISubscriber subscriber)
    {
        lock (_gate)
        {
            if (_topics.TryGetValue(topic, out var state))
            {
                state.Subscribers.Remove(subscriber);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        return ValueTask.CompletedTask;
    }

    private TopicState GetTopic(string topic)
    {
        if (!_topics.TryGetValue(topic, out var state))
        {
            state = new TopicState();
            _topics[topic] = state;
        }

        return state;
    }

    internal interface ISubscriber
    {
        void Deliver(BusEnvelope message);
    }

    private sealed class TopicState
    {
        public List<ISubscriber> Subscribers { get; } = [];
        public Queue<BusEnvelope> Backlog { get; } = new();
        public int Next { get; set; }
    }

    private sealed class LocalSubscriber(EmbeddedBus bus, BusHandler handler) : ISubscriber
    {
        public void Deliver(BusEnvelope message) => _ = Task.Run(async () =>
        {
            var reply = await HandlerInvoker.InvokeAsync(handler, message, bus._time, bus._logger, bus._stopping.Token);
            if (reply is not null)
            {
                bus.Route(reply);
            }
        });
    }

    private sealed class Subscription(EmbeddedBus bus, string topic, ISubscriber subscriber) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            bus.RemoveSubscriber(topic, subscriber);
            return ValueTask.CompletedTask;
        }
    }
}
