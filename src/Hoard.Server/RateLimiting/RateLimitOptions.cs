namespace Hoard.Server.RateLimiting;

/// <summary>
/// Requests per minute a project may make, per verb (<c>Hoard:RateLimits</c>), reported by <c>GET /limits</c> as Trove's
/// rate entries. Trove's default is 200 of each; Hoard's are higher because its dashboard and CLI poll. Zero or less:
/// unlimited.
/// </summary>
public sealed class RateLimitOptions
{
    public int GetPerMinute { get; set; } = 6000;

    public int PostPerMinute { get; set; } = 1200;

    /// <summary>Also counts <c>PATCH</c>.</summary>
    public int PutPerMinute { get; set; } = 1200;

    public int DeletePerMinute { get; set; } = 1200;
}
