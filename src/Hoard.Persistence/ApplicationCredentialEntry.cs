namespace Hoard.Persistence;

/// <summary>
/// A Keystone application credential: a secret that logs its user in to one project with a fixed subset of the user's
/// roles there, until it expires or is deleted. Never carries the secret or its hash.
/// </summary>
public sealed record ApplicationCredentialEntry(
    string Id, string UserId, string ProjectId, string Name, string Description, IReadOnlyList<string> Roles, bool Unrestricted,
    DateTimeOffset? ExpiresAt);
