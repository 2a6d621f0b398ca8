using System.Security.Cryptography;

namespace Hoard.Server.Identity;

/// <summary>PBKDF2-SHA256 with a per-password salt, stored as <c>pbkdf2-sha256$iterations$salt$hash</c>.</summary>
internal static class PasswordHasher
{
    // OWASP 2023 minimum for PBKDF2-HMAC-SHA256; stored hashes carry their own count, so older ones still verify.
    private const int Iterations = 600_000;
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    public static string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, Iterations, HashAlgorithmName.SHA256, HashBytes);
        return $"pbkdf2-sha256${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    public static bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts is not ["pbkdf2-sha256", var iterations, var salt, var hash] || !int.TryParse(iterations, out var n))
        {
            return false;
        }

        var expected = Convert.FromBase64String(hash);
        var actual = Rfc2898DeriveBytes.Pbkdf2(password, Convert.FromBase64String(salt), n, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }
}
