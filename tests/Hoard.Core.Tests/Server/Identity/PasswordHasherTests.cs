using System.Security.Cryptography;
using Hoard.Server.Identity;

namespace Hoard.Core.Tests.Server.Identity;

public sealed class PasswordHasherTests
{
    [Fact]
    public void Hash_UsesPbkdf2Sha256WithAtLeast600kIterations_AndVerifiesOnlyThePassword()
    {
        var stored = PasswordHasher.Hash("Correct-Horse-1");

        var parts = stored.Split('$');
        Assert.Equal("pbkdf2-sha256", parts[0]);
        Assert.True(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) >= 600_000, stored);
        Assert.True(PasswordHasher.Verify("Correct-Horse-1", stored));
        Assert.False(PasswordHasher.Verify("Correct-Horse-2", stored));
        Assert.NotEqual(stored, PasswordHasher.Hash("Correct-Horse-1"));
    }

    [Fact]
    public void Verify_AcceptsHashesWithAnOlderIterationCount()
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2("Old-Password-1", salt, 100_000, HashAlgorithmName.SHA256, 32);
        var stored = $"pbkdf2-sha256$100000${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";

        Assert.True(PasswordHasher.Verify("Old-Password-1", stored));
        Assert.False(PasswordHasher.Verify("Old-Password-2", stored));
    }

    [Theory]
    [InlineData("!")]
    [InlineData("")]
    [InlineData("md5$abc")]
    public void Verify_RejectsEveryPasswordForAStoredValueThatIsNoHash(string stored) =>
        Assert.False(PasswordHasher.Verify("anything", stored));
}
