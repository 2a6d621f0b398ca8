using System.Text.Json;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Conductor;
using Hoard.Messaging.Embedded;
using Hoard.Messaging.RabbitMq;

namespace Hoard.Bench.Scale;

/// <summary>
/// The heartbeat baseline, run as a child process: the same bus hoard-server runs, with a conductor that only counts
/// heartbeats. On the embedded bus (<c>--serve-bare-bus SOCKET</c>) that is the same <see cref="EmbeddedBus"/> and
/// listener, which let any guest in: joining happens once, before the timed rounds. On RabbitMQ
/// (<c>--serve-bare-rabbitmq</c>, the broker's URL in <see cref="UrlVariable"/>) it is a <see cref="RabbitMqBus"/>
/// consuming the conductor's queue. What it sustains is what the bus alone carries on this machine, so Hoard / bare is
/// what processing a heartbeat costs. A call of <see cref="CountMethod"/> answers the count and when the last heartbeat
/// arrived (its own clock: the same machine's).
/// </summary>
internal static class BareBus
{
    public const string CountMethod = "bench.count";

    public const string UrlVariable = "HOARD_BENCH_RABBITMQ_URL";

    public static async Task<int> ServeEmbeddedAsync(string socketPath)
    {
        await using var bus = new EmbeddedBus();
        await using var listener = new EmbeddedBusListener(bus, socketPath, new AnyGuest());
        await using var subscription = await bus.SubscribeAsync(BusTopics.Conductor, CountingConductor(), CancellationToken.None);
        listener.Start();
        Console.WriteLine(ChildProcess.Ready);
        await ChildProcess.WaitForStopAsync();
        return 0;
    }

    public static async Task<int> ServeRabbitMqAsync()
    {
        var url = new Uri(Environment.GetEnvironmentVariable(UrlVariable) ?? throw new InvalidOperationException($"{UrlVariable} is not set."));
        await using var bus = await RabbitMqBus.ConnectAsync(new RabbitMqOptions { Url = url, ClientName = "bare conductor" });
        await using var subscription = await bus.SubscribeAsync(BusTopics.Conductor, CountingConductor(), CancellationToken.None);
        Console.WriteLine(ChildProcess.Ready);
        await ChildProcess.WaitForStopAsync();
        return 0;
    }

    /// <summary>The bench's own client, asking how many heartbeats arrived so far and when the last one did.</summary>
    public static async Task<(long Count, DateTimeOffset Last)> CountAsync(IMessageBus client, CancellationToken cancellationToken)
    {
        var answer = await client.CallAsync(BusTopics.Conductor, CountMethod, null, TimeSpan.FromSeconds(60), cancellationToken)
                     ?? throw new InvalidDataException("The bare bus answered no count.");
        return (answer[0].GetInt64(), new DateTimeOffset(answer[1].GetInt64(), TimeSpan.Zero));
    }

    private static BusHandler CountingConductor()
    {
        long received = 0;
        long lastTicks = 0;
        return (message, _) =>
        {
            if (message.Method == ConductorMethods.Heartbeat)
            {
                Interlocked.Increment(ref received);
                Interlocked.Exchange(ref lastTicks, DateTimeOffset.UtcNow.UtcTicks);
                return Task.FromResult<JsonElement?>(null);
            }

            return Task.FromResult<JsonElement?>(JsonSerializer.SerializeToElement(new[] { Interlocked.Read(ref received), Interlocked.Read(ref lastTicks) }));
        };
    }

    private sealed class AnyGuest : IBusAuthenticator
    {
        public ValueTask<bool> AuthenticateAsync(string identity, string secret, CancellationToken cancellationToken) => ValueTask.FromResult(true);
    }
}
