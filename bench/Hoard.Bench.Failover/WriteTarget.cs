namespace Hoard.Bench.Failover;

/// <summary>Where the writer connects and as whom: Hoard's write endpoint, or a by-hand server's address.</summary>
/// <param name="Database">The database the user writes in (Redis: unused).</param>
internal sealed record WriteTarget(string Host, int Port, string User, string Password, string Database)
{
    public const string AppUser = "bench";

    public override string ToString() => $"{Host}:{Port}";
}
