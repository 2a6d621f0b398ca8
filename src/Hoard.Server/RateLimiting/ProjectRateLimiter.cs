using System.Collections.Concurrent;
using Hoard.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Hoard.Server.RateLimiting;

/// <summary>
/// Fixed one-minute windows per project and verb, as Trove's rate limits count: a window starts with the first request
/// after the previous one ended. In memory: a restart forgives everyone.
/// </summary>
internal sealed class ProjectRateLimiter(IOptions<HoardOptions> options, TimeProvider time)
{
    public static readonly string[] Verbs = ["POST", "PUT", "DELETE", "GET"];

    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<(string Project, string Verb), Counter> _counters = new();

    /// <summary>The verb a method counts against: <c>PATCH</c> as <c>PUT</c>, <c>HEAD</c> and the rest as <c>GET</c>.</summary>
    public static string VerbOf(string method) => method.ToUpperInvariant() switch
    {
        "POST" => "POST",
        "PUT" or "PATCH" => "PUT",
        "DELETE" => "DELETE",
        _ => "GET",
    };

    /// <summary>Counts one request; false (and nothing counted) when the project has used up this minute's allowance.</summary>
    public bool TryAcquire(string projectId, string method, out RateLimitStatus status)
    {
        var verb = VerbOf(method);
        var limit = Limit(verb);
        var now = time.GetUtcNow();
        var counter = _counters.GetOrAdd((projectId, verb), _ => new Counter());
        lock (counter)
        {
            if (now >= counter.Start + Window)
            {
                counter.Start = now;
                counter.Used = 0;
            }

            var allowed = limit <= 0 || counter.Used < limit;
            if (allowed)
            {
                counter.Used++;
            }

            status = Status(verb, limit, counter, now);
            return allowed;
        }
    }

    /// <summary>The project's standing against every limited verb, without counting anything.</summary>
    public IReadOnlyList<RateLimitStatus> Statuses(string projectId)
    {
        var now = time.GetUtcNow();
        return [.. Verbs.Where(v => Limit(v) > 0).Select(verb =>
        {
            var counter = _counters.GetValueOrDefault((projectId, verb));
            if (counter is null)
            {
                return new RateLimitStatus(verb, Limit(verb), Limit(verb), now, TimeSpan.Zero);
            }

            lock (counter)
            {
                return now >= counter.Start + Window
                    ? new RateLimitStatus(verb, Limit(verb), Limit(verb), now, TimeSpan.Zero)
                    : Status(verb, Limit(verb), counter, now);
            }
        })];
    }

    private static RateLimitStatus Status(string verb, int limit, Counter counter, DateTimeOffset now)
    {
        var remaining = limit <= 0 ? int.MaxValue : Math.Max(0, limit - counter.Used);
        var next = remaining > 0 ? now : counter.Start + Window;
        return new RateLimitStatus(verb, limit, remaining, next, next - now);
    }

    private int Limit(string verb)
    {
        var limits = options.Value.RateLimits;
        return verb switch
        {
            "POST" => limits.PostPerMinute,
            "PUT" => limits.PutPerMinute,
            "DELETE" => limits.DeletePerMinute,
            _ => limits.GetPerMinute,
        };
    }

    private sealed class Counter
    {
        public DateTimeOffset Start { get; set; } = DateTimeOffset.MinValue;

        public int Used { get; set; }
    }
}
