using System.Text.Json;
using Hoard.Contracts.Bus;
using Hoard.Messaging.RabbitMq;

namespace Hoard.Server.Hosting;

/// <summary>
/// The server's end of the <c>rabbitmq</c> bus. It is the first hosted service, so the host connects it (waiting for
/// the broker) before the conductor and task manager subscribe; whatever uses the bus earlier waits for the connection.
/// </summary>
internal sealed partial class RabbitMqBusConnection(RabbitMqOptions options, TimeProvider time, ILogger<RabbitMqBus> logger)
    : IMessageBus, IHostedService
{
    private readonly TaskCompletionSource<RabbitMqBus> _bus = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            _bus.TrySetResult(await RabbitMqBus.ConnectAsync(options, time, logger, cancellationToken));
            LogConnected(logger, options.SafeUrl);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Bus: rabbitmq ({Url})")]
    private static partial void LogConnected(ILogger logger, string url);
}
