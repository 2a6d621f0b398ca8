using Hoard.Core.Tests.Persistence;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Hoard.Core.Tests.Server;

/// <summary>A singleton job under its lease, in two "processes" sharing one state DB (real SQLite): it runs in one at a time, and moves on a stop.</summary>
public sealed class LeaderOnlyServiceTests : IAsyncLifetime
{
    private readonly JobProbe _probe = new();
    private TempStateDb _temp = null!;

    public async Task InitializeAsync() => _temp = await TempStateDb.CreateAsync();

    public Task DisposeAsync() => _temp.DisposeAsync().AsTask();

    [Fact]
    public async Task Job_RunsInOneProcessAtATime_AndMovesToTheOtherWhenItsHolderStops()
    {
        var (a, aId) = Process();
        var (b, bId) = Process();
        await a.StartAsync(CancellationToken.None);
        await b.StartAsync(CancellationToken.None);
        await Poll.UntilAsync(() => _probe.RunningIn.Count == 1, "The job never started");
        // Several renewals (every 0.5 s) later, still one.
        await Task.Delay(2000);
        Assert.Equal(1, _probe.MaxConcurrent);
        var first = Assert.Single(_probe.RunningIn.Keys);

        var (holder, other) = first == aId ? (a, bId) : (b, aId);
        await holder.StopAsync(CancellationToken.None);
        await Poll.UntilAsync(() => _probe.RunningIn.ContainsKey(other), "The other process did not take the job over", 5);
        Assert.Equal(1, _probe.MaxConcurrent);
        Assert.Equal(2, _probe.Starts);

        await (holder == a ? b : a).StopAsync(CancellationToken.None);
        Assert.Empty(_probe.RunningIn);
    }

    private (LeaderOnlyService<ProbedJob> Service, string Id) Process()
    {
        var identity = new ProcessIdentity();
        var services = new ServiceCollection()
            .AddSingleton(_probe)
            .AddSingleton(identity)
            .BuildServiceProvider();
        var service = new LeaderOnlyService<ProbedJob>(services, new LeaseStore(new StateDb(_temp.Db.Path!)), identity,
            Options.Create(new HoardOptions { LeaseSeconds = 1.5 }), TimeProvider.System, NullLogger<LeaderOnlyService<ProbedJob>>.Instance);
        return (service, identity.Id);
    }

    internal sealed class JobProbe
    {
        private int _running;
        private int _max;
        private int _starts;

        public System.Collections.Concurrent.ConcurrentDictionary<string, byte> RunningIn { get; } = new();

        public int MaxConcurrent => Volatile.Read(ref _max);

        public int Starts => Volatile.Read(ref _starts);

        public void Enter(string process)
        {
            Interlocked.Increment(ref _starts);
            var now = Interlocked.Increment(ref _running);
            int max;
            while ((max = Volatile.Read(ref _max)) < now && Interlocked.CompareExchange(ref _max, now, max) != max)
            {
            }

            RunningIn[process] = 0;
        }

        public void Leave(string process)
        {
            RunningIn.TryRemove(process, out _);
            Interlocked.Decrement(ref _running);
        }
    }

    internal sealed class ProbedJob(JobProbe probe, ProcessIdentity identity) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            probe.Enter(identity.Id);
            try
            {
                await Task.Delay(Timeout.Infinite, stoppingToken);
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                probe.Leave(identity.Id);
            }
        }
    }
}
