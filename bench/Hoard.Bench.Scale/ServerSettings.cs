namespace Hoard.Bench.Scale;

/// <summary>
/// What the bench changes in hoard-server's configuration, and why (passed in the environment, which every hoard-server
/// it starts inherits). Everything else is the shipped default.
/// </summary>
internal static class ServerSettings
{
    public static readonly IReadOnlyDictionary<string, string> Values = new Dictionary<string, string>
    {
        // The seeded instances have no guest until the heartbeat phase. With the default 20 s the conductor would mark them
        // SHUTDOWN, and the guest reconciler would then start 1,000 real guests: a 12-day expiry keeps both quiet (the
        // reconciler still lists every instance each 5 s, as it does in production, and that is measured).
        ["Hoard__HeartbeatExpirySeconds"] = "1000000",
        // The list load sends thousands of GETs a minute from one project; the default limit (6,000 a minute) would answer
        // 413 within seconds. The rate limiter still runs (and costs what it costs) with the limit off.
        ["Hoard__RateLimits__GetPerMinute"] = "0",
        // No instance restricts its allowed CIDRs; "none" keeps the bench from writing nftables rules on the host.
        ["Hoard__NetworkAccessProvider"] = "none",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
    };

    public static void Apply()
    {
        foreach (var (name, value) in Values)
            Environment.SetEnvironmentVariable(name, value);
    }

    public static string Describe() =>
        string.Join(", ", Values.Where(v => v.Key.StartsWith("Hoard__", StringComparison.Ordinal)).Select(v => $"{v.Key.Replace("__", ":")}={v.Value}"));
}
