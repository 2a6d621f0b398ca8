using System.Collections.Concurrent;
using Hoard.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Hoard.Server.RateLimiting;

/// <summary>
/// Slows password guessing: counts wrong passwords per user name as given (known or not, so that a refusal says nothing
/// about whether the user exists) and refuses every password login for a locked name, right or wrong, with the same 401.
/// A right password outside a lockout clears the count. In memory: a restart lifts lockouts.
/// </summary>
internal sealed class LoginThrottle(IOptions<HoardOptions> options, TimeProvider time)
{
    /// <summary>Names tracked before stale ones are dropped, so that guesses at random names cannot grow this without end.</summary>
    private const int PruneAbove = 10_000;

    private readonly ConcurrentDictionary<string, Attempts> _attempts = new(StringComparer.Ordinal);

    /// <summary>Whether a password login that did (or did not) match may go ahead; records the outcome.</summary>
    public bool Admit(string? domain, string? userId, string? userName, bool passwordMatches)
    {
        var settings = options.Value.LoginLockout;
        if (settings.MaxFailures <= 0)
        {
            return passwordMatches;
        }

        var now = time.GetUtcNow();
        var key = $"{domain}/{userId ?? userName}";
        var attempts = _attempts.GetOrAdd(key, _ => new Attempts());
        lock (attempts)
        {
            if (attempts.LockedUntil > now)
            {
                return false;
            }

            while (attempts.Failures.TryPeek(out var oldest) && oldest <= now - settings.Window)
            {
                attempts.Failures.Dequeue();
            }

            if (passwordMatches)
            {
                attempts.Failures.Clear();
                return true;
            }

            attempts.Failures.Enqueue(now);
            if (attempts.Failures.Count >= settings.MaxFailures)
            {
                attempts.LockedUntil = now + settings.Duration;
                attempts.Failures.Clear();
            }
        }

        Prune(now, settings);
        return false;
    }

    private void Prune(DateTimeOffset now, LoginLockoutOptions settings)
    {
        if (_attempts.Count <= PruneAbove)
        {
            return;
        }

        foreach (var (key, attempts) in _attempts)
        {
            lock (attempts)
            {
                if (attempts.LockedUntil <= now && (!attempts.Failures.TryPeek(out var last) || last <= now - settings.Window))
                {
                    _attempts.TryRemove(key, out _);
                }
            }
        }
    }

    private sealed class Attempts
    {
        public Queue<DateTimeOffset> Failures { get; } = new();

        public DateTimeOffset LockedUntil { get; set; } = DateTimeOffset.MinValue;
    }
}
