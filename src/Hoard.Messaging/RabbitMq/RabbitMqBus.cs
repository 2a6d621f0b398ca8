using System.Collections.Concurrent;
using System.Text.Json;
using Hoard.Contracts;
using Hoard.Contracts.Bus;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Hoard.Messaging.RabbitMq;

/// <summary>
/// The bus over RabbitMQ, with the embedded transport's semantics: each topic is a durable queue bound to one topic
/// exchange, so several subscribers of a topic compete for its messages and a topic with none keeps them until one
/// arrives (across a broker restart too: casts are persistent and confirmed by the broker). A call is a transient
/// request whose reply comes to this process's own exclusive queue, matched by correlation id. The client recovers
/// the connection, queues and consumers by itself after a broker restart; sends made meanwhile wait and retry.
/// Every message carries the connection's user as its AMQP <c>user_id</c>, which the broker refuses to pass on when it
/// is not that user's, so a receiver with <see cref="RabbitMqOptions.IdentifySenders"/> knows who sent it. Replies go
/// through the topic exchange like everything else (not the default exchange): see <see cref="BrokerPermissions"/>.
/// </summary>
public sealed partial class RabbitMqBus : IMessageBus, IAsyncDisposable
{
    /// <summary>How long a per-process topic outlives its last consumer (and a wake sent to a dead process, its queue).</summary>
    private const int ProcessTopicExpiryMs = 60_000;

    private const ushort Prefetch = 32;

    private readonly RabbitMqOptions _options;
    private readonly IConnection _connection;
    private readonly IChannel _publisher;
    private readonly IChannel _replies;
    private readonly SemaphoreSlim _publishGate = new(1, 1);
    private readonly ConcurrentDictionary<string, bool> _declared = new(StringComparer.Ordinal);
    private readonly PendingCalls _pending = new();
    /// <summary>The topic each pending call went to, whose owner alone may answer it (with <see cref="RabbitMqOptions.IdentifySenders"/>).</summary>
    private readonly ConcurrentDictionary<string, string> _callTopics = new(StringComparer.Ordinal);
    private readonly string _inbox;
    private readonly string _user;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();

    private RabbitMqBus(RabbitMqOptions options, IConnection connection, IChannel publisher, IChannel replies,
        TimeProvider time, ILogger logger)
    {
        _options = options;
        _inbox = BrokerNames.NewInbox(options.InboxOwner);
        _user = options.User;
        _connection = connection;
        _publisher = publisher;
        _replies = replies;
        _time = time;
        _logger = logger;
    }

    /// <summary>Connects, retrying until the broker answers or <paramref name="cancellationToken"/> fires.</summary>
    public static async Task<RabbitMqBus> ConnectAsync(RabbitMqOptions options, TimeProvider? time = null,
        ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        var log = logger ?? NullLogger<RabbitMqBus>.Instance;
        var factory = new ConnectionFactory
        {
            Uri = options.Url,
            ClientProvidedName = options.ClientName,
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = true,
            NetworkRecoveryInterval = options.RecoveryInterval,
        };
        IConnection connection;
        while (true)
        {
            try
            {
                connection = await factory.CreateConnectionAsync(cancellationToken);
                break;
            }
            catch (BrokerUnreachableException e) when (!cancellationToken.IsCancellationRequested)
            {
                LogUnreachable(log, options.SafeUrl, e.InnerException?.Message ?? e.Message);
                await Task.Delay(options.RecoveryInterval, time ?? TimeProvider.System, cancellationToken);
            }
        }

        var publisher = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
            cancellationToken);
        if (options.Restricted)
        {
            // Its user may not configure the exchange: the server declares it, maybe after this process started.
            await AwaitExchangeAsync(connection, options, time ?? TimeProvider.System, log, cancellationToken);
        }
        else
        {
            await publisher.ExchangeDeclareAsync(options.Exchange, ExchangeType.Topic, durable: true, autoDelete: false,
                cancellationToken: cancellationToken);
        }

        var replies = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var bus = new RabbitMqBus(options, connection, publisher, replies, time ?? TimeProvider.System, log);
        await bus.ListenForRepliesAsync(cancellationToken);
        return bus;
    }

    /// <summary>Waits until the exchange exists (a passive declare, which needs no permission, on a channel of its own).</summary>
    private static async Task AwaitExchangeAsync(IConnection connection, RabbitMqOptions options, TimeProvider time, ILogger log,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            // A refused passive declare closes its channel: each attempt takes a new one.
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            try
            {
                await channel.ExchangeDeclarePassiveAsync(options.Exchange, cancellationToken);
                return;
            }
            catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404 && !cancellationToken.IsCancellationRequested)
            {
                LogNoExchange(log, options.Exchange);
                await Task.Delay(options.RecoveryInterval, time, cancellationToken);
            }
        }
    }

    public async Task CastAsync(string topic, string method, JsonElement? args, CancellationToken cancellationToken)
    {
        await EnsureQueueToSendAsync(topic, cancellationToken);
        var message = new BusEnvelope { Kind = BusKinds.Cast, Topic = topic, Method = method, Args = args, Sent = _time.GetUtcNow() };
        await PublishAsync(_options.Exchange, topic, message, persistent: true, expiration: null, cancellationToken);
    }

    public async Task<JsonElement?> CallAsync(string topic, string method, JsonElement? args, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var (id, reply) = _pending.Register();
        var message = new BusEnvelope
        {
            Kind = BusKinds.Call, Topic = topic, Method = method, Args = args, Sent = _time.GetUtcNow(),
            CorrelationId = id, ReplyTo = _inbox,
        };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        _callTopics[id] = topic;
        try
        {
            try
            {
                await EnsureQueueToSendAsync(topic, deadline.Token);
                // A request nobody took before the caller gave up is dropped by the broker rather than run late.
                await PublishAsync(_options.Exchange, topic, message, persistent: false, expiration: timeout, deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                _pending.Complete(new BusEnvelope { Kind = BusKinds.Reply, Topic = _inbox, CorrelationId = id });
                throw new BusTimeoutException(topic, method, timeout);
            }

            return await _pending.AwaitAsync(id, reply, topic, method, timeout, cancellationToken);
        }
        finally
        {
            _callTopics.TryRemove(id, out _);
        }
    }

    public async Task<IAsyncDisposable> SubscribeAsync(string topic, BusHandler handler, CancellationToken cancellationToken)
    {
        await EnsureQueueAsync(topic, cancellationToken);
        var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
        await channel.BasicQosAsync(0, Prefetch, global: false, cancellationToken);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            // Acknowledged on receipt, like the embedded bus hands a message over once: a handler that runs for
            // minutes (prepare) must not hold the message, and a crash mid-handler must not run it twice.
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
            if (Decode(delivery.Body, delivery.BasicProperties.UserId) is { } message)
            {
                _ = Task.Run(() => HandleAsync(handler, message));
            }
        };
        var tag = await channel.BasicConsumeAsync(topic, autoAck: false, consumer, cancellationToken);
        return new Subscription(channel, tag);
    }

    private async Task HandleAsync(BusHandler handler, BusEnvelope message)
    {
        var reply = await HandlerInvoker.InvokeAsync(handler, message, _time, _logger, _stopping.Token);
        if (reply is not null)
        {
            try
            {
                await PublishAsync(_options.Exchange, reply.Topic, reply, persistent: false, expiration: null, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private async Task ListenForRepliesAsync(CancellationToken cancellationToken)
    {
        await _replies.QueueDeclareAsync(_inbox, durable: false, exclusive: true, autoDelete: true, cancellationToken: cancellationToken);
        await _replies.QueueBindAsync(_inbox, _options.Exchange, _inbox, cancellationToken: cancellationToken);
        var consumer = new AsyncEventingBasicConsumer(_replies);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            if (Decode(delivery.Body, delivery.BasicProperties.UserId) is { Kind: BusKinds.Reply } reply && IsFromCallee(reply))
            {
                _pending.Complete(reply);
            }

            return Task.CompletedTask;
        };
        await _replies.BasicConsumeAsync(_inbox, autoAck: true, consumer, cancellationToken);
    }

    /// <summary>
    /// Only the principal a call went to may answer it: a guest that learnt this process's reply queue from a call it
    /// got cannot answer calls to other guests (their correlation ids are random, but this does not rely on that).
    /// </summary>
    private bool IsFromCallee(BusEnvelope reply)
    {
        if (!_options.IdentifySenders || reply.CorrelationId is not { } id || !_callTopics.TryGetValue(id, out var topic) ||
            reply.Sender == BrokerNames.SenderOwning(topic) || reply.Sender is null)
        {
            return true;
        }

        LogForeignReply(_logger, reply.Sender, topic);
        return false;
    }

    /// <summary>
    /// A topic's queue exists before anything is sent to it, so a cast waits there for a subscriber. A restricted
    /// principal may not declare others' queues: it sends to those the server declared (the conductor's, the hosts').
    /// </summary>
    private Task EnsureQueueToSendAsync(string topic, CancellationToken cancellationToken) =>
        _options.Restricted ? Task.CompletedTask : EnsureQueueAsync(topic, cancellationToken);

    private async Task EnsureQueueAsync(string topic, CancellationToken cancellationToken)
    {
        if (_declared.ContainsKey(topic))
        {
            return;
        }

        await RetryWhileDisconnectedAsync(async () =>
        {
            await _publishGate.WaitAsync(cancellationToken);
            try
            {
                // A process's own topic would outlive it as a durable queue: the broker drops it once unused for a while.
                var arguments = topic.StartsWith(BusTopics.ProcessTopicPrefix, StringComparison.Ordinal)
                    ? new Dictionary<string, object?> { ["x-expires"] = ProcessTopicExpiryMs }
                    : null;
                await _publisher.QueueDeclareAsync(topic, durable: true, exclusive: false, autoDelete: false, arguments,
                    cancellationToken: cancellationToken);
                await _publisher.QueueBindAsync(topic, _options.Exchange, topic, cancellationToken: cancellationToken);
            }
            finally
            {
                _publishGate.Release();
            }
        }, cancellationToken);
        _declared[topic] = true;
    }

    private Task PublishAsync(string exchange, string routingKey, BusEnvelope message, bool persistent, TimeSpan? expiration,
        CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(message, HoardJson.Default.BusEnvelope);
        var properties = new BasicProperties
        {
            ContentType = "application/json",
            DeliveryMode = persistent ? DeliveryModes.Persistent : DeliveryModes.Transient,
            CorrelationId = message.CorrelationId,
            ReplyTo = message.ReplyTo,
            UserId = _user,
            Expiration = expiration is { } e ? ((long)Math.Max(1, e.TotalMilliseconds)).ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
        };
        return RetryWhileDisconnectedAsync(async () =>
        {
            await _publishGate.WaitAsync(cancellationToken);
            try
            {
                // With confirmation tracking this returns once the broker has the message (on disk, when persistent).
                await _publisher.BasicPublishAsync(exchange, routingKey, mandatory: false, properties, body, cancellationToken);
            }
            finally
            {
                _publishGate.Release();
            }
        }, cancellationToken);
    }

    /// <summary>
    /// While the broker is away the client recovers in the background; until then, wait and try again. A send that fails
    /// because the broker is away once <paramref name="cancellationToken"/> (a call's deadline) has passed ends in
    /// <see cref="OperationCanceledException"/>, as the wait would: the client's own exception must not reach callers,
    /// which handle a deadline (a call's <see cref="BusTimeoutException"/>) but not the transport's internals.
    /// </summary>
    private async Task RetryWhileDisconnectedAsync(Func<Task> send, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await send();
                return;
            }
            catch (Exception e) when (e is AlreadyClosedException or PublishException or OperationInterruptedException or IOException)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    throw new OperationCanceledException($"The broker was away until the deadline ({e.GetType().Name}).", e, cancellationToken);
                }

                LogSendRetry(_logger, e.GetType().Name);
                await Task.Delay(_options.RecoveryInterval, _time, cancellationToken);
            }
        }
    }

    private BusEnvelope? Decode(ReadOnlyMemory<byte> body, string? userId)
    {
        try
        {
            // The sender is whatever the transport can vouch for: the user_id the broker checked, never the body's.
            var sender = _options.IdentifySenders ? BrokerNames.SenderOf(userId, _user) : null;
            return JsonSerializer.Deserialize(body.Span, HoardJson.Default.BusEnvelope) is { } m ? m with { Sender = sender } : null;
        }
        catch (JsonException e)
        {
            LogUnreadable(_logger, e.Message);
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        try
        {
            await _connection.CloseAsync();
        }
        catch (AlreadyClosedException)
        {
        }

        // The publish gate is left to the collector: a handler finishing now may still be queued behind it.
        _connection.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "RabbitMQ at {Url} unreachable: {Reason}; retrying")]
    private static partial void LogUnreachable(ILogger logger, string url, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped a reply from {Sender} to a call to {Topic}")]
    private static partial void LogForeignReply(ILogger logger, string sender, string topic);

    [LoggerMessage(Level = LogLevel.Information, Message = "The exchange {Exchange} does not exist yet (hoard-server declares it); waiting")]
    private static partial void LogNoExchange(ILogger logger, string exchange);

    [LoggerMessage(Level = LogLevel.Debug, Message = "RabbitMQ send failed ({Reason}); retrying once the connection recovers")]
    private static partial void LogSendRetry(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped an unreadable bus message: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string reason);

    private sealed class Subscription(IChannel channel, string tag) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await channel.BasicCancelAsync(tag);
                await channel.CloseAsync();
            }
            catch (AlreadyClosedException)
            {
            }

            channel.Dispose();
        }
    }
}
