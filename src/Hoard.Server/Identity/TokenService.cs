using Hoard.Core.Identity;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Identity;

/// <summary>Issues and validates opaque bearer tokens; only their SHA-256 is stored.</summary>
internal sealed class TokenService(IdentityStore store, IOptions<HoardOptions> options, TimeProvider time)
{
    public async Task<(string Token, TokenInfo Info)> IssueAsync(UserAccount user, Project project, CancellationToken cancellationToken)
    {
        var token = Secrets.NewToken();
        var issued = time.GetUtcNow();
        var expires = issued.AddHours(options.Value.TokenLifetimeHours);
        await store.StoreTokenAsync(Secrets.Sha256(token), user.Id, project.Id, issued, expires, cancellationToken);
        var roles = await store.GetRolesAsync(user.Id, project.Id, cancellationToken);
        return (token, new TokenInfo(user.Id, user.Name, project.Id, project.Name, roles, issued, expires));
    }

    public Task<TokenInfo?> ValidateAsync(string token, CancellationToken cancellationToken) =>
        token.Length is > 0 and < 512 ? store.FindTokenAsync(Secrets.Sha256(token), cancellationToken) : Task.FromResult<TokenInfo?>(null);

    public Task RevokeAsync(string token, CancellationToken cancellationToken) =>
        store.RevokeTokenAsync(Secrets.Sha256(token), cancellationToken);
}
