using Hoard.Core.Identity;

namespace Hoard.Server.Identity;

/// <summary>
/// Who a request's <c>X-Auth-Token</c> belongs to: the built-in identity's <see cref="TokenService"/>, or an external
/// Keystone (<see cref="KeystoneTokenValidator"/>) when <c>Hoard:Identity:Mode</c> is <c>keystone</c>.
/// </summary>
internal interface ITokenValidator
{
    /// <summary>The token's subject, or null if the token is not (or no longer) valid.</summary>
    /// <exception cref="IdentityUnavailableException">The identity service could not be asked.</exception>
    Task<TokenInfo?> ValidateAsync(string token, CancellationToken cancellationToken);
}
