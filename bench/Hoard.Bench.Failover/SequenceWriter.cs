using System.Diagnostics;

namespace Hoard.Bench.Failover;

/// <summary>
/// The steady write load: numbers written one after another, each on the open connection; a failed write or connect
/// drops the connection and the next attempt, with the next number, opens a new one after <see cref="RetryDelay"/>.
/// Numbers whose write failed are never counted as acknowledged (they may or may not have landed). The writes are paced
/// to <c>ratePerSecond</c> (0: as fast as they are answered), so that on a small shared machine the load itself does not
/// take the CPU the failover needs, and every datastore and both sides see the same load.
/// </summary>
internal sealed class SequenceWriter(ISequenceTable table, long firstNumber, int ratePerSecond)
{
    public static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Connect, log in and first answer. Short, because a connection opened while the endpoint's server is down waits in
    /// HAProxy's connect retries (1 s apart) rather than being refused: with the clients' usual timeouts (2 s for the
    /// mariadb CLI, 5 s for the Npgsql settings) the RTO would measure the client's timeout, not the endpoint.
    /// </summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(1);
    private readonly Lock _lock = new();
    private readonly List<Ack> _acks = [];
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private long _next = firstNumber;

    /// <summary>One acknowledged write: its number, when it was sent and when its success came back (Stopwatch timestamps).</summary>
    public readonly record struct Ack(long Number, long Sent, long Acknowledged);

    public int Failures { get; private set; }

    public string? FirstError { get; private set; }

    public string? LastError { get; private set; }

    /// <summary>The first number not yet used.</summary>
    public long NextNumber => Interlocked.Read(ref _next);

    public IReadOnlyList<Ack> Acks
    {
        get
        {
            lock (_lock)
                return [.. _acks];
        }
    }

    public void Start() => _loop = Task.Run(() => LoopAsync(_stop.Token));

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
            await _loop;
        _stop.Dispose();
    }

    /// <summary>The first write sent at or after <paramref name="timestamp"/> that was acknowledged, once there is one.</summary>
    public async Task<Ack> FirstAckSentAfterAsync(long timestamp, TimeSpan deadline, Func<string> whatElse, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            lock (_lock)
            {
                foreach (var ack in _acks)
                {
                    if (ack.Sent >= timestamp)
                        return ack;
                }
            }

            if (Stopwatch.GetElapsedTime(started) > deadline)
                throw new TimeoutException($"No write was acknowledged within {deadline.TotalSeconds:0} s ({Failures} failed attempts; {whatElse()}).");
            await Task.Delay(5, cancellationToken);
        }
    }

    private async Task LoopAsync(CancellationToken stop)
    {
        ISequenceSession? session = null;
        // A token bucket that holds at most 50 ms of writes: no burst to catch up after an outage, and no 1 ms sleeps,
        // which the timer cannot keep to.
        var capacity = Math.Max(1, ratePerSecond / 20.0);
        var tokens = capacity;
        var last = Stopwatch.GetTimestamp();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (ratePerSecond > 0)
                {
                    var now = Stopwatch.GetTimestamp();
                    tokens = Math.Min(capacity, tokens + Stopwatch.GetElapsedTime(last, now).TotalSeconds * ratePerSecond);
                    last = now;
                    if (tokens < 1)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(Math.Max(0.002, (1 - tokens) / ratePerSecond)), stop).ContinueWith(_ => { }, TaskScheduler.Default);
                        continue;
                    }

                    tokens--;
                }

                var number = Interlocked.Increment(ref _next) - 1;
                var sent = Stopwatch.GetTimestamp();
                try
                {
                    if (session is null)
                    {
                        session = table.NewSession();
                        using var connecting = CancellationTokenSource.CreateLinkedTokenSource(stop);
                        connecting.CancelAfter(ConnectTimeout);
                        await session.ConnectAsync(connecting.Token);
                    }

                    await session.WriteAsync(number, stop);
                    var acknowledged = Stopwatch.GetTimestamp();
                    lock (_lock)
                        _acks.Add(new Ack(number, sent, acknowledged));
                }
                catch (Exception e) when (!stop.IsCancellationRequested)
                {
                    Failures++;
                    var message = e.Message.ReplaceLineEndings(" ");
                    FirstError ??= message;
                    LastError = message;
                    if (session is not null)
                        await session.DisposeAsync();
                    session = null;
                    await Task.Delay(RetryDelay, stop).ContinueWith(_ => { }, TaskScheduler.Default);
                }
                catch (Exception) when (stop.IsCancellationRequested)
                {
                }
            }
        }
        finally
        {
            if (session is not null)
                await session.DisposeAsync();
        }
    }
}
