using Hoard.Core.Tests.Backups;
using Hoard.Server.Hosting;
using Hoard.Server.RateLimiting;
using Microsoft.Extensions.Options;

namespace Hoard.Core.Tests.Server.RateLimiting;

public sealed class LoginThrottleTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 5, 0, 0, TimeSpan.Zero);

    private readonly ManualTime _time = new(Start);

    [Fact]
    public void FiveWrongPasswords_LockTheNameOut_EvenForTheRightPassword_UntilTheLockoutEnds()
    {
        var throttle = Throttle();
        for (var i = 0; i < 5; i++)
        {
            Assert.False(throttle.Admit("default", null, "alice", passwordMatches: false));
        }

        _time.Now = Start.AddMinutes(4);
        Assert.False(throttle.Admit("default", null, "alice", passwordMatches: true));

        _time.Now = Start.AddMinutes(5);
        Assert.True(throttle.Admit("default", null, "alice", passwordMatches: true));
    }

    [Fact]
    public void OtherNames_AndRightPasswordsBeforeTheLimit_AreUnaffected()
    {
        var throttle = Throttle();
        for (var i = 0; i < 5; i++)
        {
            throttle.Admit("default", null, "alice", passwordMatches: false);
        }

        Assert.True(throttle.Admit("default", null, "bob", passwordMatches: true));
        Assert.True(throttle.Admit("other-domain", null, "alice", passwordMatches: true));

        for (var i = 0; i < 4; i++)
        {
            throttle.Admit("default", null, "carol", passwordMatches: false);
        }

        Assert.True(throttle.Admit("default", null, "carol", passwordMatches: true));
        for (var i = 0; i < 4; i++)
        {
            throttle.Admit("default", null, "carol", passwordMatches: false);
        }

        Assert.True(throttle.Admit("default", null, "carol", passwordMatches: true), "a right password did not clear the count");
    }

    [Fact]
    public void FailuresOlderThanTheWindow_AreForgotten()
    {
        var throttle = Throttle();
        for (var i = 0; i < 4; i++)
        {
            throttle.Admit("default", null, "dave", passwordMatches: false);
        }

        _time.Now = Start.AddMinutes(6);
        throttle.Admit("default", null, "dave", passwordMatches: false);

        Assert.True(throttle.Admit("default", null, "dave", passwordMatches: true));
    }

    [Fact]
    public void UnknownNames_AreLockedOutLikeKnownOnes()
    {
        var throttle = Throttle();
        for (var i = 0; i < 5; i++)
        {
            throttle.Admit("default", null, "nobody", passwordMatches: false);
        }

        Assert.False(throttle.Admit("default", null, "nobody", passwordMatches: true));
    }

    [Fact]
    public void WithMaxFailuresZero_NothingIsLockedOut()
    {
        var throttle = Throttle(maxFailures: 0);
        for (var i = 0; i < 50; i++)
        {
            throttle.Admit("default", null, "erin", passwordMatches: false);
        }

        Assert.True(throttle.Admit("default", null, "erin", passwordMatches: true));
    }

    private LoginThrottle Throttle(int maxFailures = 5) => new(
        Options.Create(new HoardOptions { LoginLockout = new LoginLockoutOptions { MaxFailures = maxFailures } }), _time);
}
