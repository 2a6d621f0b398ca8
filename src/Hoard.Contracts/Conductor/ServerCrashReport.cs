namespace Hoard.Contracts.Conductor;

/// <summary>
/// The database server exited without being asked to, and the guest restarts it. One report stands for a crash and
/// the restarts that follow it until the server runs stably again, so a crash loop is one fault, not one per restart.
/// </summary>
/// <param name="Since">When the first crash of this run of crashes happened: the conductor records each run once.</param>
/// <param name="Message">For the instance's fault, in words a user can act on.</param>
/// <param name="Details">The latest exit: code or signal, uptime, restarts so far, the next delay.</param>
public sealed record ServerCrashReport(DateTimeOffset Since, string Message, string Details);
