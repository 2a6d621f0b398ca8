using System.Security.Cryptography;
using Hoard.Core.Backups;

namespace Hoard.Core.Tests.Backups;

public sealed class BackupCipherTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(BackupCipher.KeySize);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(BackupCipher.ChunkSize - 1)]
    [InlineData(BackupCipher.ChunkSize)]
    [InlineData((2 * BackupCipher.ChunkSize) + 17)]
    [InlineData(3 * BackupCipher.ChunkSize)]
    public async Task RoundTrips_AnyLength(int length)
    {
        var plain = RandomNumberGenerator.GetBytes(length);
        var encrypted = await EncryptAsync(plain, Key);
        Assert.False(length > 32 && encrypted.AsSpan().IndexOf(plain.AsSpan(0, 32)) >= 0, "the plaintext shows through");
        Assert.Equal(plain, await DecryptAsync(encrypted, Key));
    }

    [Fact]
    public async Task SameInputTwice_GivesDifferentCiphertexts()
    {
        var plain = RandomNumberGenerator.GetBytes(1000);
        Assert.NotEqual(await EncryptAsync(plain, Key), await EncryptAsync(plain, Key));
    }

    [Fact]
    public async Task WrongKey_IsRefused()
    {
        var encrypted = await EncryptAsync(RandomNumberGenerator.GetBytes(1000), Key);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => DecryptAsync(encrypted, RandomNumberGenerator.GetBytes(BackupCipher.KeySize)));
        Assert.Contains("wrong key", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(20)] // in the first chunk's ciphertext
    [InlineData(-3)] // in the last tag
    public async Task AFlippedBit_IsRefused(int offset)
    {
        var encrypted = await EncryptAsync(RandomNumberGenerator.GetBytes((2 * BackupCipher.ChunkSize) + 5), Key);
        encrypted[offset >= 0 ? offset : encrypted.Length + offset] ^= 0x01;
        await Assert.ThrowsAsync<InvalidDataException>(() => DecryptAsync(encrypted, Key));
    }

    [Fact]
    public async Task Truncation_AtAChunkBoundary_IsRefused()
    {
        // Three full chunks; dropping the last one leaves a stream of whole chunks none of which is final.
        var encrypted = await EncryptAsync(RandomNumberGenerator.GetBytes(3 * BackupCipher.ChunkSize), Key);
        var chunk = 4 + BackupCipher.ChunkSize + 16;
        var truncated = encrypted[..^chunk];
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => DecryptAsync(truncated, Key));
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppendedData_IsRefused()
    {
        var encrypted = await EncryptAsync(RandomNumberGenerator.GetBytes(100), Key);
        await Assert.ThrowsAsync<InvalidDataException>(() => DecryptAsync([.. encrypted, .. encrypted[12..]], Key));
    }

    [Fact]
    public async Task UnencryptedData_IsRefusedWithAClearMessage()
    {
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => DecryptAsync("(\u00b5/\u00fd plain zstd"u8.ToArray(), Key));
        Assert.Contains("not encrypted", e.Message, StringComparison.Ordinal);
    }

    private static async Task<byte[]> EncryptAsync(byte[] plain, byte[] key)
    {
        using var output = new MemoryStream();
        await BackupCipher.EncryptAsync(new MemoryStream(plain), output, key, default);
        return output.ToArray();
    }

    private static async Task<byte[]> DecryptAsync(byte[] encrypted, byte[] key)
    {
        using var output = new MemoryStream();
        await BackupCipher.DecryptAsync(new MemoryStream(encrypted), output, key, default);
        return output.ToArray();
    }
}
