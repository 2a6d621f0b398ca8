using System.Collections.Concurrent;
using Hoard.Core.Identity;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Identity;

/// <summary>
/// Issues and validates opaque bearer tokens; only their SHA-256 is stored. A valid token's subject is kept in memory for
/// <see cref="IdentitySettings.TokenCacheSeconds"/> (never past the token's expiry), keyed by that SHA-256, because looking
/// it up (the token, its user, project and roles: two queries) was a large part of every API request's cost. An entry is
/// used only while <see cref="IdentityStore.Changes"/> has not moved since it was read, so any revocation, role change,
/// disabling or deletion made through this process is seen by the next request; one made by another process sharing the
/// state DB is seen within the cache time. Refusals are never kept: a new token works at once.
/// </summary>
internal sealed class TokenService(IdentityStore store, IOptions<HoardOptions> options, TimeProvider time) : ITokenValidator
{
    private const int PruneAbove = 10_000;
    private readonly ConcurrentDictionary<string, CachedToken> _cache = new(StringComparer.Ordinal);

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

    public async Task<TokenInfo?> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        if (token.Length is 0 or >= 512)
        {
            return null;
        }

        var hash = Secrets.Sha256(token);
        var seconds = options.Value.Identity.TokenCacheSeconds;
        if (!(seconds > 0))
        {
            return await store.FindTokenAsync(hash, cancellationToken);
        }

        // Read before the lookup: a change that commits while the row is read leaves this entry stale at once.
        var changes = store.Changes;
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(hash, out var cached) && cached.Changes == changes && cached.Until > now)
        {
            return cached.Info;
        }

        var info = await store.FindTokenAsync(hash, cancellationToken);
        if (info is null)
        {
            _cache.TryRemove(hash, out _);
            return null;
        }

        if (_cache.Count > PruneAbove)
        {
            Prune(now, changes);
        }

        var until = now.AddSeconds(seconds);
        _cache[hash] = new CachedToken(info, until < info.ExpiresAt ? until : info.ExpiresAt, changes);
        return info;
    }

    public Task RevokeAsync(string token, CancellationToken cancellationToken) =>
        store.RevokeTokenAsync(Secrets.Sha256(token), cancellationToken);

    private void Prune(DateTimeOffset now, long changes)
    {
        foreach (var (hash, entry) in _cache)
        {
            if (entry.Until <= now || entry.Changes != changes)
            {
                _cache.TryRemove(hash, out _);
            }
        }
    }

    private sealed record CachedToken(TokenInfo Info, DateTimeOffset Until, long Changes);
}
