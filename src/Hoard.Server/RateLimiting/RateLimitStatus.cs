namespace Hoard.Server.RateLimiting;

/// <summary>Where a project stands against one verb's limit in the current minute.</summary>
internal sealed record RateLimitStatus(string Verb, int Value, int Remaining, DateTimeOffset NextAvailable, TimeSpan RetryAfter)
{
    /// <summary>Whole seconds, at least one, as <c>Retry-After</c> and <c>retryAfter</c> carry it.</summary>
    public int RetryAfterSeconds => Math.Max(1, (int)Math.Ceiling(RetryAfter.TotalSeconds));
}
