namespace Hoard.Core.Identity;

public sealed record Project(string Id, string Name, string DomainId, bool Enabled);

public sealed record UserAccount(string Id, string Name, string DomainId, string PasswordHash, bool Enabled);

/// <summary>A validated token: who, for which project, with which roles, until when.</summary>
public sealed record TokenInfo(
    string UserId, string UserName, string ProjectId, string ProjectName, IReadOnlyList<string> Roles,
    DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt)
{
    public bool IsAdmin => Roles.Contains(RoleNames.Admin);
}

public static class RoleNames
{
    public const string Admin = "admin";
    public const string Member = "member";
    public const string Reader = "reader";
}
