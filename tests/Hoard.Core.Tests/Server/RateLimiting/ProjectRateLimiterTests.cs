using Hoard.Core.Tests.Backups;
using Hoard.Server.Hosting;
using Hoard.Server.RateLimiting;
using Microsoft.Extensions.Options;

namespace Hoard.Core.Tests.Server.RateLimiting;

public sealed class ProjectRateLimiterTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 5, 0, 0, TimeSpan.Zero);

    private readonly ManualTime _time = new(Start);

    [Fact]
    public void TryAcquire_OverTheLimit_IsRefusedUntilTheMinuteEnds()
    {
        var limiter = Limiter(post: 2);

        Assert.True(limiter.TryAcquire("p1", "POST", out var first));
        Assert.Equal(1, first.Remaining);
        _time.Now = Start.AddSeconds(20);
        Assert.True(limiter.TryAcquire("p1", "POST", out _));
        _time.Now = Start.AddSeconds(30);
        Assert.False(limiter.TryAcquire("p1", "POST", out var refused));
        Assert.Equal(0, refused.Remaining);
        Assert.Equal(30, refused.RetryAfterSeconds);
        Assert.Equal(Start.AddMinutes(1), refused.NextAvailable);

        _time.Now = Start.AddMinutes(1);
        Assert.True(limiter.TryAcquire("p1", "POST", out var again));
        Assert.Equal(1, again.Remaining);
    }

    [Fact]
    public void TryAcquire_CountsEachProjectAndVerbApart_AndPatchAsPut()
    {
        var limiter = Limiter(post: 1, put: 1);

        Assert.True(limiter.TryAcquire("p1", "POST", out _));
        Assert.False(limiter.TryAcquire("p1", "POST", out _));
        Assert.True(limiter.TryAcquire("p2", "POST", out _));
        Assert.True(limiter.TryAcquire("p1", "GET", out _));
        Assert.True(limiter.TryAcquire("p1", "PATCH", out _));
        Assert.False(limiter.TryAcquire("p1", "PUT", out _));
    }

    [Fact]
    public void TryAcquire_WithZeroLimit_IsUnlimited()
    {
        var limiter = Limiter(delete: 0);

        for (var i = 0; i < 10_000; i++)
        {
            Assert.True(limiter.TryAcquire("p1", "DELETE", out _), $"refused after {i} requests");
        }
    }

    [Fact]
    public void Statuses_ReportEveryLimitedVerb_WithoutCounting()
    {
        var limiter = Limiter(post: 3, delete: 0);
        limiter.TryAcquire("p1", "POST", out _);
        limiter.TryAcquire("p1", "POST", out _);

        var statuses = limiter.Statuses("p1").ToDictionary(s => s.Verb);
        var again = limiter.Statuses("p1").ToDictionary(s => s.Verb);

        Assert.Equal(["POST", "PUT", "GET"], statuses.Keys);
        Assert.Equal(1, statuses["POST"].Remaining);
        Assert.Equal(1, again["POST"].Remaining);
        Assert.Equal(statuses["GET"].Value, statuses["GET"].Remaining);
        Assert.Equal(Start, statuses["POST"].NextAvailable);
    }

    [Fact]
    public void Defaults_AreAtLeastTrovesAndLimitEveryVerb()
    {
        var defaults = new RateLimitOptions();

        Assert.All(new[] { defaults.GetPerMinute, defaults.PostPerMinute, defaults.PutPerMinute, defaults.DeletePerMinute },
            limit => Assert.True(limit >= 200, $"a default of {limit} a minute is below Trove's 200"));
    }

    private ProjectRateLimiter Limiter(int get = 100, int post = 100, int put = 100, int delete = 100) => new(
        Options.Create(new HoardOptions
        {
            RateLimits = new RateLimitOptions { GetPerMinute = get, PostPerMinute = post, PutPerMinute = put, DeletePerMinute = delete },
        }),
        _time);
}
