using System.Text.Json;
using Hoard.Contracts.Bus;
using Hoard.Messaging.RabbitMq;

namespace Hoard.Server.Hosting;

/// <summary>
/// The server's end of the <c>rabbitmq</c> bus. It is the first hosted service, so the host connects it (waiting for
/// the broker) before the conductor and task manager subscribe; whatever uses the bus earlier waits for the connection.
/// Without broker users of their own for the guests (no management API configured) it warns at start: they share its user.
/// </summary>
internal sealed partial class RabbitMqBusConnection(RabbitMqOptions options, BrokerUsers broker, TimeProvider time, ILogger<RabbitMqBus> logger)
    : IMessageBus, IHostedService
{
    private readonly TaskCompletionSource<RabbitMqBus> _bus = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            _bus.TrySetResult(await RabbitMqBus.ConnectAsync(options, time, logger, cancellationToken));
            LogConnected(logger, options.SafeUrl);
            if (broker.Enabled)
            {
                LogBrokerUsers(logger, broker.ManagementUrl!, broker.Vhost);
                if (await broker.ProblemAsync(cancellationToken) is { } problem)
                {
                    LogManagementProblem(logger, problem);
                }
            }
            else
            {
                LogSharedUser(logger);
            }
        }
        catch (Exception e)
        {
            _bus.TrySetException(e);
            throw;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_bus.Task.IsCompletedSuccessfully)
        {
            await _bus.Task.Result.DisposeAsync();
        }
    }

    public async Task CastAsync(string topic, string method, JsonElement? args, CancellationToken cancellationToken) =>
        await (await ConnectedAsync(cancellationToken)).CastAsync(topic, method, args, cancellationToken);

    public async Task<JsonElement?> CallAsync(string topic, string method, JsonElement? args, TimeSpan timeout,
        CancellationToken cancellationToken) =>
        await (await ConnectedAsync(cancellationToken)).CallAsync(topic, method, args, timeout, cancellationToken);

    public async Task<IAsyncDisposable> SubscribeAsync(string topic, BusHandler handler, CancellationToken cancellationToken) =>
        await (await ConnectedAsync(cancellationToken)).SubscribeAsync(topic, handler, cancellationToken);

    private Task<RabbitMqBus> ConnectedAsync(CancellationToken cancellationToken) => _bus.Task.WaitAsync(cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Broker users: one per guest, managed through {ManagementUrl} on vhost {Vhost}; senders are checked")]
    private static partial void LogBrokerUsers(ILogger logger, string managementUrl, string vhost);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The broker's management API does not work yet ({Reason}): guests cannot be launched until it does")]
    private static partial void LogManagementProblem(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Hoard:RabbitMq:ManagementUrl is not set: every guest gets this server's broker user and password, " +
                                                       "so a compromised instance can read every queue and send as any other (insecure; see docs/distributed.md)")]
    private static partial void LogSharedUser(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Bus: rabbitmq ({Url})")]
    private static partial void LogConnected(ILogger logger, string url);
}
