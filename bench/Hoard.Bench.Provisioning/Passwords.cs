using System.Security.Cryptography;

namespace Hoard.Bench.Provisioning;

internal static class Passwords
{
    /// <summary>Letters and digits only: valid for every datastore's password rules and needs no quoting anywhere.</summary>
    private const string Alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

    public static string New() => RandomNumberGenerator.GetString(Alphabet, 24);
}
