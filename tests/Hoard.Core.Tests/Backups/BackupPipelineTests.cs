using System.Security.Cryptography;
using Hoard.Core.Backups;
using Hoard.Providers.Local;

namespace Hoard.Core.Tests.Backups;

/// <summary>The server's data path end to end on real files: encrypt, hash, store; verify; decrypt and send.</summary>
public sealed class BackupPipelineTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly LocalBackupStorage _storage;
    private readonly BackupKeyring _keyring;
    private readonly BackupPipeline _pipeline;

    public BackupPipelineTests()
    {
        _storage = new LocalBackupStorage(_dir.Combine("backups"));
        _keyring = new BackupKeyring(_dir.Combine("secrets", "backup.key"));
        _pipeline = new BackupPipeline(_storage, _keyring);
    }

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(true, 0)]
    [InlineData(true, (3 * BackupCipher.ChunkSize) + 100)]
    [InlineData(false, (2 * BackupCipher.ChunkSize) + 1)]
    public async Task Store_ThenVerifyAndSend_RoundTrips_AndTheChecksumIsOfTheStoredBytes(bool encrypt, int length)
    {
        var data = RandomNumberGenerator.GetBytes(length);
        var backup = Backup("p1");
        var stored = await StoreAsync(backup, data, encrypt);

        var onDisk = await File.ReadAllBytesAsync(_dir.Combine("backups", "p1", backup.Id));
        Assert.Equal(onDisk.LongLength, stored.Size);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(onDisk)), stored.Checksum);
        Assert.Equal(encrypt, stored.Encrypted);
        if (encrypt)
        {
            Assert.True(onDisk.AsSpan().StartsWith("HOARDAE1"u8), "the stored data is not in Hoard's encrypted format");
            Assert.False(length > 64 && onDisk.AsSpan().IndexOf(data.AsSpan(0, 64)) >= 0, "the plaintext shows through");
        }
        else
        {
            Assert.Equal(data, onDisk);
        }

        await _pipeline.VerifyAsync(backup, default);
        Assert.Equal(data, await SendAsync(backup));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task OneFlippedStoredByte_FailsVerification_AndTheSendToo(bool encrypt)
    {
        var backup = Backup("p1");
        await StoreAsync(backup, RandomNumberGenerator.GetBytes(2 * BackupCipher.ChunkSize), encrypt);
        var path = _dir.Combine("backups", "p1", backup.Id);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[bytes.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(path, bytes);

        var e = await Assert.ThrowsAsync<BackupIntegrityException>(() => _pipeline.VerifyAsync(backup, default));
        Assert.Contains("does not match its checksum", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<Exception>(() => SendAsync(backup));
    }

    [Fact]
    public async Task MissingData_FailsVerification_SayingSo()
    {
        var backup = Backup("p1");
        await StoreAsync(backup, [1, 2, 3], encrypt: true);
        File.Delete(_dir.Combine("backups", "p1", backup.Id));

        var e = await Assert.ThrowsAsync<BackupIntegrityException>(() => _pipeline.VerifyAsync(backup, default));
        Assert.Contains("missing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BrokenUpload_StoresNothing_WithOrWithoutEncryption()
    {
        foreach (var encrypt in new[] { true, false })
        {
            var backup = Backup("p1");
            await Assert.ThrowsAsync<IOException>(() => _pipeline.StoreAsync(backup, new FailingStream(3 * BackupCipher.ChunkSize), encrypt, default));
            Assert.Null(await _storage.GetSizeAsync(backup.StorageKey, default));
        }

        Assert.Empty(Directory.GetFiles(_dir.Combine("backups", "p1")));
    }

    [Fact]
    public async Task Projects_HaveDifferentKeys_FromOneMasterKeyFile_ReadBackAfterARestart()
    {
        var backup = Backup("p1");
        var data = RandomNumberGenerator.GetBytes(1000);
        await StoreAsync(backup, data, encrypt: true);

        Assert.NotEqual(_keyring.ProjectKey("p1"), _keyring.ProjectKey("p2"));
        var keyFile = _dir.Combine("secrets", "backup.key");
        Assert.Equal(32, new FileInfo(keyFile).Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_dir.Combine("secrets")));

        var restarted = new BackupPipeline(_storage, new BackupKeyring(keyFile));
        var output = new MemoryStream();
        await restarted.SendAsync(backup, output, default);
        Assert.Equal(data, output.ToArray());

        // The same bytes under another project's key do not decrypt.
        var moved = Backup("p2");
        moved.Size = backup.Size;
        moved.Checksum = backup.Checksum;
        moved.Encrypted = true;
        Directory.CreateDirectory(_dir.Combine("backups", "p2"));
        File.Copy(_dir.Combine("backups", "p1", backup.Id), _dir.Combine("backups", "p2", moved.Id));
        await Assert.ThrowsAsync<InvalidDataException>(() => restarted.SendAsync(moved, new MemoryStream(), default));
    }

    [Fact]
    public void AMasterKeyOfTheWrongLength_IsRefused_NotReplaced()
    {
        var keyFile = _dir.Combine("short.key");
        File.WriteAllBytes(keyFile, [1, 2, 3]);
        var e = Assert.Throws<InvalidDataException>(() => new BackupKeyring(keyFile).ProjectKey("p1"));
        Assert.Contains("3 bytes", e.Message, StringComparison.Ordinal);
        Assert.Equal(3, new FileInfo(keyFile).Length);
    }

    private async Task<StoredBackup> StoreAsync(BackupRecord backup, byte[] data, bool encrypt)
    {
        var stored = await _pipeline.StoreAsync(backup, new MemoryStream(data), encrypt, default);
        backup.Size = stored.Size;
        backup.Checksum = stored.Checksum;
        backup.Encrypted = stored.Encrypted;
        backup.Location = stored.Location;
        return stored;
    }

    private async Task<byte[]> SendAsync(BackupRecord backup)
    {
        var output = new MemoryStream();
        await _pipeline.SendAsync(backup, output, default);
        return output.ToArray();
    }

    internal static BackupRecord Backup(string project) => new()
    {
        Id = Guid.NewGuid().ToString(), ProjectId = project, InstanceId = Guid.NewGuid().ToString(), Name = "b", DatastoreType = "mariadb",
        DatastoreVersion = "10.11", DatastoreVersionId = "v", Strategy = "mariadb-backup", StorageDriver = LocalBackupStorage.DriverName,
    };
}
