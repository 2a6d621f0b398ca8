using Hoard.Core.Identity;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Identity;

/// <summary>Issues and validates opaque bearer tokens; only their SHA-256 is stored.</summary>
internal sealed class TokenService(IdentityStore store, IOptions<HoardOptions> options, TimeProvider time) : ITokenValidator
{
    public Task<(string Token, TokenInfo Info)> IssueAsync(UserAccount user, Project project, CancellationToken cancellationToken) =>
        IssueAsync(user, project, null, cancellationToken);

    /// <summary>
    /// A token for <paramref name="project"/>; from an application credential, it carries only the credential's roles
    /// and ends no later than the credential does.
    /// </summary>
    public async Task<(string Token, TokenInfo Info)> IssueAsync(UserAccount user, Project project, ApplicationCredentialEntry? credential,
        CancellationToken cancellationToken)
    {
        var token = Secrets.NewToken();
        var issued = time.GetUtcNow();
        var expires = issued.AddHours(options.Value.TokenLifetimeHours);
        if (credential?.ExpiresAt is { } end && end < expires)
        {
            expires = end;
        }

        await store.StoreTokenAsync(Secrets.Sha256(token), user.Id, project.Id, issued, expires, cancellationToken, credential?.Id);
        IReadOnlyList<string> roles = await store.GetRolesAsync(user.Id, project.Id, cancellationToken);
        if (credential is not null)
        {
            var held = RoleNames.WithImplied(roles);
            roles = [.. credential.Roles.Where(held.Contains).Order(StringComparer.Ordinal)];
        }

        return (token, new TokenInfo(user.Id, user.Name, project.Id, project.Name, roles, issued, expires)
        {
            ApplicationCredential = credential is null ? null : new ApplicationCredentialRef(credential.Id, credential.Name, credential.Unrestricted),
        });
    }

    public Task<TokenInfo?> ValidateAsync(string token, CancellationToken cancellationToken) =>
        token.Length is > 0 and < 512 ? store.FindTokenAsync(Secrets.Sha256(token), cancellationToken) : Task.FromResult<TokenInfo?>(null);

    public Task RevokeAsync(string token, CancellationToken cancellationToken) =>
        store.RevokeTokenAsync(Secrets.Sha256(token), cancellationToken);
}
