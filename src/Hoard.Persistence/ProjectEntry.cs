namespace Hoard.Persistence;

/// <summary>A project as the identity admin API shows it.</summary>
public sealed record ProjectEntry(string Id, string Name, string DomainId, bool Enabled, string Description);
