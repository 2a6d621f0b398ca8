using System.Security.Cryptography;
using Hoard.Core.Backups;
using Hoard.Providers.Local;

namespace Hoard.Core.Tests.Backups;

/// <summary>The local backup storage on real files in a temporary directory.</summary>
public sealed class LocalBackupStorageTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly LocalBackupStorage _storage;

    public LocalBackupStorageTests() => _storage = new LocalBackupStorage(_dir.Combine("backups"));

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Put_ThenRead_GivesTheSameBytes_InAPrivateFileUnderProjectAndId()
    {
        var data = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 5);
        var location = await _storage.PutAsync("p1/b1", new MemoryStream(data), default);

        var path = _dir.Combine("backups", "p1", "b1");
        Assert.Equal(new Uri(path).AbsoluteUri, location);
        Assert.Equal(data, await File.ReadAllBytesAsync(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        foreach (var dir in new[] { _dir.Combine("backups"), _dir.Combine("backups", "p1") })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
        }

        await using var read = await _storage.OpenReadAsync("p1/b1", default);
        var copy = new MemoryStream();
        await read.CopyToAsync(copy);
        Assert.Equal(data, copy.ToArray());
        Assert.Equal(data.Length, await _storage.GetSizeAsync("p1/b1", default));
    }

    [Fact]
    public async Task Put_ThatFailsHalfway_LeavesNothing_NotEvenAPartialFile()
    {
        await Assert.ThrowsAsync<IOException>(() => _storage.PutAsync("p1/b2", new FailingStream(2 * 1024 * 1024), default));

        Assert.Null(await _storage.GetSizeAsync("p1/b2", default));
        Assert.Empty(Directory.GetFiles(_dir.Combine("backups", "p1")));
        await Assert.ThrowsAsync<FileNotFoundException>(() => _storage.OpenReadAsync("p1/b2", default));
    }

    [Fact]
    public async Task Delete_RemovesTheObjectAndLeftoverPartials_AndIsIdempotent()
    {
        await _storage.PutAsync("p1/b3", new MemoryStream([1, 2, 3]), default);
        var leftover = _dir.Combine("backups", "p1", "b3.0123abcd.partial");
        await File.WriteAllBytesAsync(leftover, [9]);

        await _storage.DeleteAsync("p1/b3", default);
        await _storage.DeleteAsync("p1/b3", default);

        Assert.Null(await _storage.GetSizeAsync("p1/b3", default));
        Assert.False(File.Exists(leftover));
        await _storage.DeleteAsync("never-stored-project/b4", default);
    }

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("p1/../../x")]
    [InlineData("/abs")]
    [InlineData("p1/b 1")]
    [InlineData("")]
    public async Task KeysThatCouldLeaveTheRoot_AreRefused(string key)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _storage.PutAsync(key, new MemoryStream([1]), default));
        await Assert.ThrowsAsync<ArgumentException>(() => _storage.OpenReadAsync(key, default));
    }
}
