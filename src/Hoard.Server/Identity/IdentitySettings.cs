namespace Hoard.Server.Identity;

/// <summary>Settings of who checks tokens (section <c>Hoard:Identity</c>).</summary>
public sealed class IdentitySettings
{
    public const string BuiltIn = "builtin";
    public const string Keystone = "keystone";

    /// <summary>
    /// <c>builtin</c>: hoard-server is its own Keystone (<c>/v3</c>). <c>keystone</c>: tokens come from an external Keystone
    /// (section <c>Hoard:Keystone</c>) and hoard-server's own <c>/v3</c> is off.
    /// </summary>
    public string Mode { get; set; } = BuiltIn;

    /// <summary>
    /// Built-in identity: how long a validated token's subject is kept in memory, keyed by the token's SHA-256, before the
    /// state DB is asked again (0: every request asks). A revocation made through this server process takes effect at
    /// once; one made through another process sharing the state DB (several API servers) takes up to this long.
    /// </summary>
    public double TokenCacheSeconds { get; set; } = 2;

    public bool IsKeystone => string.Equals(Mode, Keystone, StringComparison.OrdinalIgnoreCase);
}
