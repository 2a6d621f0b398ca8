namespace Hoard.Core.Identity;

public sealed record Project(string Id, string Name, string DomainId, bool Enabled);

public sealed record UserAccount(string Id, string Name, string DomainId, string PasswordHash, bool Enabled);

/// <summary>A validated token: who, for which project, with which roles, until when.</summary>
public sealed record TokenInfo(
    string UserId, string UserName, string ProjectId, string ProjectName, IReadOnlyList<string> Roles,
    DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt)
{
    public bool IsAdmin => Roles.Contains(RoleNames.Admin);

    /// <summary>The application credential the token was issued from; null for a password or token login.</summary>
    public ApplicationCredentialRef? ApplicationCredential { get; init; }

    /// <summary>
    /// Whether the token may manage application credentials: a token from a restricted application credential may not,
    /// so that a leaked credential cannot mint others that outlive it (Keystone's rule).
    /// </summary>
    public bool MayManageApplicationCredentials => ApplicationCredential is null || ApplicationCredential.Unrestricted;
}

/// <summary>The application credential behind a token, as Keystone names it in the token body.</summary>
public sealed record ApplicationCredentialRef(string Id, string Name, bool Unrestricted);

public static class RoleNames
{
    public const string Admin = "admin";
    public const string Member = "member";
    public const string Reader = "reader";

    /// <summary>
    /// The roles <paramref name="assigned"/> stand for, with Keystone's default implied roles (admin implies member,
    /// member implies reader): what a user may hand on to an application credential.
    /// </summary>
    public static IReadOnlySet<string> WithImplied(IEnumerable<string> assigned)
    {
        var roles = new HashSet<string>(assigned, StringComparer.Ordinal);
        if (roles.Contains(Admin))
        {
            roles.Add(Member);
        }

        if (roles.Contains(Member))
        {
            roles.Add(Reader);
        }

        return roles;
    }
}
