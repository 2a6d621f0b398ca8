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

    public bool IsKeystone => string.Equals(Mode, Keystone, StringComparison.OrdinalIgnoreCase);
}
