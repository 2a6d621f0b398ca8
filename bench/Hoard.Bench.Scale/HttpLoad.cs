using System.Diagnostics;
using System.Net;

namespace Hoard.Bench.Scale;

/// <summary>
/// A closed-loop HTTP load: <c>clients</c> workers, each on its own keep-alive connection, send one operation after
/// another (taking the operations in turn), first for a warm-up, then for the timed window. Only operations that start
/// and end inside the window count. Every answer must be 200: a throttled (413) or failed answer stops the bench, as
/// it would falsify the figures.
/// </summary>
internal static class HttpLoad
{
    public static async Task<LoadFigures> RunAsync(string baseUrl, IReadOnlyList<ListOperation> operations, int clients,
        TimeSpan warmUp, TimeSpan window, CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = clients, UseCookies = false, AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5), PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        };
        using var http = new HttpClient(handler) { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(60) };
        var started = Stopwatch.GetTimestamp();
        var windowStart = started + (long)(warmUp.TotalSeconds * Stopwatch.Frequency);
        var windowEnd = windowStart + (long)(window.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, clients)
            .Select(i => Task.Run(() => WorkAsync(http, operations, i, clients, windowStart, windowEnd, cancellationToken), cancellationToken))
            .ToArray();
        var results = await Task.WhenAll(workers);
        return new LoadFigures(results.Sum(r => r.Latencies.Count), results.Sum(r => r.Requests), window,
            [.. results.SelectMany(r => r.Latencies)]);
    }

    private static async Task<(List<double> Latencies, int Requests)> WorkAsync(HttpClient http, IReadOnlyList<ListOperation> operations,
        int worker, int workers, long windowStart, long windowEnd, CancellationToken cancellationToken)
    {
        var latencies = new List<double>();
        var requests = 0;
        for (var n = worker; ; n += workers)
        {
            var operation = operations[n % operations.Count];
            var begun = Stopwatch.GetTimestamp();
            if (begun >= windowEnd)
                break;
            foreach (var url in operation.PathsAndQueries)
                await GetAsync(http, url, operation.Token, cancellationToken);
            var ended = Stopwatch.GetTimestamp();
            if (begun >= windowStart && ended <= windowEnd)
            {
                latencies.Add((ended - begun) * 1000.0 / Stopwatch.Frequency);
                requests += operation.PathsAndQueries.Count;
            }
        }

        return (latencies, requests);
    }

    /// <summary>One GET (a path and query on the client's base address, or an absolute URL), read to the end, as a client that uses the answer would.</summary>
    public static async Task<(byte[] Body, string? ContentType)> GetAsync(HttpClient http, string pathAndQuery, string token, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        request.Headers.Add("X-Auth-Token", token);
        request.Headers.Add("Accept", "application/json");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException(
                $"GET {pathAndQuery} answered {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 300)))}");
        }

        return (body, response.Content.Headers.ContentType?.ToString());
    }
}
