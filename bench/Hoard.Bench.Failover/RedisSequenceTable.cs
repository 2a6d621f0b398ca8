using System.Globalization;

namespace Hoard.Bench.Failover;

/// <summary>Redis over raw RESP: one key <c>bench:seq:N</c> per number, <c>SET</c> and its <c>+OK</c> as the ack.</summary>
internal sealed class RedisSequenceTable(WriteTarget target) : ISequenceTable
{
    private const string Prefix = "bench:seq:";
    private const int Batch = 1000;
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(5);

    public string WriteDescription => "RESP over TCP, one connection, SET bench:seq:N 1 answered +OK";

    public Task CreateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ISequenceSession NewSession() => new RedisSession(target);

    public async Task<IReadOnlyList<long>> MissingAsync(IReadOnlyCollection<long> acknowledged, CancellationToken cancellationToken)
    {
        using var connection = new RespConnection();
        await connection.ConnectAsync(target, cancellationToken);
        var missing = new List<long>();
        foreach (var chunk in acknowledged.Order().Chunk(Batch))
        {
            var values = await connection.CallAsync(["MGET", .. chunk.Select(Key)], cancellationToken) as object?[]
                         ?? throw new IOException("MGET did not answer an array.");
            missing.AddRange(chunk.Where((_, i) => values[i] is null));
        }

        return missing;
    }

    private static string Key(long number) => Prefix + number.ToString(CultureInfo.InvariantCulture);

    private sealed class RedisSession(WriteTarget target) : ISequenceSession
    {
        private readonly RespConnection _connection = new();

        public Task ConnectAsync(CancellationToken cancellationToken) => _connection.ConnectAsync(target, cancellationToken);

        public async Task WriteAsync(long number, CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(AnswerTimeout);
            var reply = await _connection.CallAsync(["SET", Key(number), "1"], timeout.Token);
            if (reply is not "OK")
                throw new IOException($"SET answered '{reply}'.");
        }

        public ValueTask DisposeAsync()
        {
            _connection.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
