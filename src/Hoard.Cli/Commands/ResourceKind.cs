namespace Hoard.Cli.Commands;

/// <summary>A collection of the API whose items users name: where it lives and how its items are wrapped.</summary>
internal sealed record ResourceKind(string Collection, string Singular, bool IdsAreGuids)
{
    public static readonly ResourceKind Instance = new("instances", "instance", true);
    public static readonly ResourceKind Backup = new("backups", "backup", true);
    public static readonly ResourceKind Configuration = new("configurations", "configuration", true);
    public static readonly ResourceKind Flavor = new("flavors", "flavor", false);
}
