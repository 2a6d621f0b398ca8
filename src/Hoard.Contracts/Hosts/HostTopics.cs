namespace Hoard.Contracts.Hosts;

/// <summary>The topics of the <c>hosts</c> compute provider: one per host agent, and the one they report to.</summary>
public static class HostTopics
{
    /// <summary>Where agents report; the server's host registry consumes it.</summary>
    public const string Reports = "hosts";

    public static string Host(string name) => "host." + name;
}
