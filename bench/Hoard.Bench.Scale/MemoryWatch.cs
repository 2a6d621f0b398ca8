using System.Diagnostics.Tracing;
using Hoard.Bench.Provisioning;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;

namespace Hoard.Bench.Scale;

/// <summary>
/// Watches a .NET process's memory while a phase runs: RSS and PSS from /proc every 200 ms, and the GC heap size from its
/// <c>System.Runtime</c> counters over EventPipe (as dotnet-counters reads them, once a second). Reports the largest
/// values seen. If the diagnostics port cannot be reached, the heap is reported as unknown rather than failing the run.
/// </summary>
internal sealed class MemoryWatch : IAsyncDisposable
{
    private readonly int _pid;
    private readonly long _started = System.Diagnostics.Stopwatch.GetTimestamp();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _proc;
    private readonly Task _counters;
    private long _rssKb;
    private long _pssKb;
    private double? _heapMb;
    private string? _countersError;

    private MemoryWatch(int pid)
    {
        _pid = pid;
        _proc = Task.Run(WatchProcAsync);
        _counters = Task.Run(WatchCounters);
    }

    public static MemoryWatch Start(int pid) => new(pid);

    /// <summary>Watches an idle process for <paramref name="window"/> (long enough for two or three counter samples).</summary>
    public static async Task<ServerMemory> IdleAsync(int pid, TimeSpan window, CancellationToken cancellationToken)
    {
        await using var watch = Start(pid);
        await Task.Delay(window, cancellationToken);
        return await watch.StopAsync();
    }

    public async Task<ServerMemory> StopAsync()
    {
        // A phase shorter than the counters' first sample (a --quick heartbeat run) still gets one.
        while (_heapMb is null && _countersError is null && !_counters.IsCompleted &&
               System.Diagnostics.Stopwatch.GetElapsedTime(_started) < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(100, CancellationToken.None);
        }

        await _stop.CancelAsync();
        await _proc;
        await _counters;
        if (_countersError is not null)
            Console.Error.WriteLine($"memory: the GC heap of {_pid} could not be read ({_countersError})");
        return new ServerMemory(_rssKb, _pssKb, _heapMb);
    }

    private async Task WatchProcAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            if (ProcFs.Memory(_pid) is { } memory)
            {
                _rssKb = Math.Max(_rssKb, memory.RssKb);
                _pssKb = Math.Max(_pssKb, memory.PssKb);
            }

            await Task.Delay(200, CancellationToken.None);
        }
    }

    private void WatchCounters()
    {
        try
        {
            var client = new DiagnosticsClient(_pid);
            var provider = new EventPipeProvider("System.Runtime", EventLevel.Informational, -1,
                new Dictionary<string, string> { ["EventCounterIntervalSec"] = "1" });
            using var session = client.StartEventPipeSession([provider], requestRundown: false);
            using var stopping = _stop.Token.Register(() =>
            {
                try
                {
                    session.Stop();
                }
                catch (Exception e) when (e is ServerNotAvailableException or IOException or TimeoutException)
                {
                }
            });
            using var source = new EventPipeEventSource(session.EventStream);
            source.Dynamic.All += e =>
            {
                if (e.EventName == "EventCounters" && HeapMb(e) is { } mb)
                    _heapMb = Math.Max(_heapMb ?? 0, mb);
            };
            source.Process();
        }
        catch (Exception e)
        {
            _countersError = e.Message;
        }
    }

    /// <summary>The value of a <c>gc-heap-size</c> counter event (MB), or null for any other counter.</summary>
    private static double? HeapMb(TraceEvent e)
    {
        if (e.PayloadValue(0) is not IDictionary<string, object> outer || !outer.TryGetValue("Payload", out var inner) ||
            inner is not IDictionary<string, object> payload || !payload.TryGetValue("Name", out var name) || name as string != "gc-heap-size" ||
            !payload.TryGetValue("Mean", out var mean))
        {
            return null;
        }

        return Convert.ToDouble(mean, System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
            await StopAsync();
        _stop.Dispose();
    }
}
