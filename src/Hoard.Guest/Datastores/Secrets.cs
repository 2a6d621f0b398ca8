using System.Security.Cryptography;

namespace Hoard.Guest.Datastores;

/// <summary>Random secrets for datastore accounts.</summary>
internal static class Secrets
{
    /// <summary>Letters and digits only, so the secret needs no quoting in any SQL, option file or command line.</summary>
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>A password of <paramref name="length"/> characters (24 gives about 143 bits).</summary>
    public static string GeneratePassword(int length = 24)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 8);
        return RandomNumberGenerator.GetString(Alphabet, length);
    }
}
