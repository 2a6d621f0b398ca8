namespace Hoard.Server.Identity;

/// <summary>
/// The external identity service could not answer whether a token is valid (unreachable, or it refused Hoard's own
/// service user); requests are answered 503 with this message, which never contains a secret.
/// </summary>
internal sealed class IdentityUnavailableException(string message) : Exception(message);
