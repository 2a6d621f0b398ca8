namespace Hoard.Bench.Backup;

/// <summary>An ACTIVE instance of the bench: where it listens, its application user's password, and its directories on this host.</summary>
/// <param name="InstanceDir"><c>&lt;DataDir&gt;/instances/&lt;id&gt;</c>: <c>etc</c> (configuration, the guest's admin credentials), <c>run</c> (sockets).</param>
/// <param name="DataDir">The database server's data directory on the instance's volume.</param>
internal sealed record BenchInstance(string Id, string Address, string Password, string InstanceDir, string DataDir)
{
    public const string AppUser = "bench";

    public string Etc => Path.Combine(InstanceDir, "etc");

    public string Run => Path.Combine(InstanceDir, "run");
}
