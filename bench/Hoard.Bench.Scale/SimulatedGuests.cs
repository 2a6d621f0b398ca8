using Hoard.Contracts;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Conductor;
using Hoard.Contracts.Guest;
using Hoard.Messaging.Embedded;
using Hoard.Messaging.RabbitMq;

namespace Hoard.Bench.Scale;

/// <summary>
/// One guest per seeded instance, each on its own bus connection made with the guest's own client, sending what a healthy
/// guest sends every <c>HeartbeatIntervalSeconds</c>: a heartbeat cast to the conductor with its status, volume and
/// metrics. On the embedded bus each authenticates with its instance's bus secret (<see cref="EmbeddedBusClient"/>); on
/// RabbitMQ guests share the broker's credentials, as hoard-server's guests do (<see cref="RabbitMqBus"/>).
/// </summary>
internal sealed class SimulatedGuests : IAsyncDisposable
{
    private const long VolumeBytes = 1_006_632_960;
    private readonly List<(SeededInstance Instance, IMessageBus Bus)> _guests;

    private SimulatedGuests(List<(SeededInstance, IMessageBus)> guests) => _guests = guests;

    public int Count => _guests.Count;

    /// <summary>Connects every guest; fails, saying how many were let in, if not all are within <paramref name="deadline"/>.</summary>
    public static async Task<SimulatedGuests> ConnectEmbeddedAsync(string socketPath, IReadOnlyList<SeededInstance> instances, TimeSpan deadline,
        CancellationToken cancellationToken)
    {
        var clients = instances.Select(i => (i, new EmbeddedBusClient(socketPath, i.Id, i.BusSecret))).ToList();
        var guests = new SimulatedGuests([.. clients.Select(c => (c.i, (IMessageBus)c.Item2))]);
        foreach (var (_, client) in clients)
            client.Start();
        try
        {
            await Task.WhenAll(clients.Select(c => c.Item2.Connected)).WaitAsync(deadline, cancellationToken);
        }
        catch (TimeoutException)
        {
            var joined = clients.Count(c => c.Item2.Connected.IsCompleted);
            await guests.DisposeAsync();
            throw new TimeoutException($"Only {joined} of {instances.Count} simulated guests were let on the bus at {socketPath} within " +
                                       $"{deadline.TotalSeconds:0} s (a wrong bus secret is refused).");
        }
        catch
        {
            await guests.DisposeAsync();
            throw;
        }

        return guests;
    }

    /// <summary>Connects every guest to the broker, eight at a time, within <paramref name="deadline"/>.</summary>
    public static async Task<SimulatedGuests> ConnectRabbitMqAsync(Uri url, IReadOnlyList<SeededInstance> instances, TimeSpan deadline,
        CancellationToken cancellationToken)
    {
        var buses = new IMessageBus?[instances.Count];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(deadline);
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, instances.Count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = timeout.Token },
                async (i, ct) => buses[i] = await RabbitMqBus.ConnectAsync(
                    new RabbitMqOptions { Url = url, ClientName = "hoard-guest " + instances[i].Id }, TimeProvider.System, null, ct));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var joined = buses.Count(b => b is not null);
            await new SimulatedGuests([.. buses.OfType<IMessageBus>().Select(b => (instances[0], b))]).DisposeAsync();
            throw new TimeoutException($"Only {joined} of {instances.Count} simulated guests connected to the broker within {deadline.TotalSeconds:0} s.");
        }

        return new SimulatedGuests([.. instances.Select((instance, i) => (instance, buses[i]!))]);
    }

    /// <summary>Every guest casts one heartbeat, all at once; the bus client stamps each with the time it was sent.</summary>
    public Task SendRoundAsync(int round, CancellationToken cancellationToken) =>
        Task.WhenAll(_guests.Select(g =>
        {
            var payload = new HeartbeatPayload(g.Instance.Id, ServiceStatus.Healthy,
                Volume: new VolumeReport(VolumeBytes, VolumeBytes - 200_000_000 - round, Full: false),
                Metrics: new DatastoreMetricsReport(Connections: 3, QueriesTotal: 1000 + (round * 20L), MemoryBytes: 120_000_000,
                    CpuSecondsTotal: 5 + (round * 0.01)));
            return g.Bus.CastAsync(BusTopics.Conductor, ConductorMethods.Heartbeat, HoardJson.ToElement(payload), cancellationToken);
        }));

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, bus) in _guests)
        {
            if (bus is IAsyncDisposable disposable)
                await disposable.DisposeAsync();
        }
    }
}
