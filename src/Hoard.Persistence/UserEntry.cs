namespace Hoard.Persistence;

/// <summary>A user as the identity admin API shows it; never the password hash.</summary>
public sealed record UserEntry(string Id, string Name, string DomainId, bool Enabled, string? DefaultProjectId);
