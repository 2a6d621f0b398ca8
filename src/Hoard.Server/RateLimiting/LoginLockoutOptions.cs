namespace Hoard.Server.RateLimiting;

/// <summary>
/// <c>Hoard:LoginLockout</c>: after <see cref="MaxFailures"/> wrong passwords for one user name within
/// <see cref="Window"/>, every password login for that name is refused for <see cref="Duration"/> (Keystone's
/// <c>lockout_failure_attempts</c> and <c>lockout_duration</c>). <see cref="MaxFailures"/> of zero or less: off.
/// </summary>
public sealed class LoginLockoutOptions
{
    public int MaxFailures { get; set; } = 5;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan Duration { get; set; } = TimeSpan.FromMinutes(5);
}
