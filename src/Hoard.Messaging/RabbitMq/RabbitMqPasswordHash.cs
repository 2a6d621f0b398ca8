using System.Security.Cryptography;
using System.Text;

namespace Hoard.Messaging.RabbitMq;

/// <summary>
/// RabbitMQ's salted password hash (<c>rabbit_password_hashing_sha256</c>): base64 of a 4-byte random salt followed by
/// SHA-256(salt ‖ UTF-8 password). The server sends the broker this instead of the password when it makes a user.
/// </summary>
public static class RabbitMqPasswordHash
{
    public const string Algorithm = "rabbit_password_hashing_sha256";

    public static string Of(string password) => Of(password, RandomNumberGenerator.GetBytes(4));

    /// <summary>With a given salt: for checking the hash against one the broker made.</summary>
    public static string Of(string password, ReadOnlySpan<byte> salt)
    {
        var salted = new byte[salt.Length + Encoding.UTF8.GetByteCount(password)];
        salt.CopyTo(salted);
        Encoding.UTF8.GetBytes(password, salted.AsSpan(salt.Length));
        return Convert.ToBase64String([.. salt, .. SHA256.HashData(salted)]);
    }
}
