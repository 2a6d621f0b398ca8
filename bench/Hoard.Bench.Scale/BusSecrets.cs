using System.Security.Cryptography;
using System.Text;

namespace Hoard.Bench.Scale;

/// <summary>
/// A guest's bus secret and the hash the state DB keeps of it, made as hoard-server makes them when it launches a guest
/// (a URL-safe 256-bit token; lowercase hex SHA-256). If this drifted from the server's, no simulated guest would be let on
/// the bus and the heartbeat phase would fail saying so.
/// </summary>
internal static class BusSecrets
{
    public static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}
