using Hoard.Core.Backups;

namespace Hoard.Core.Tests.ObjectStorage;

/// <summary>
/// What every remote <see cref="IBackupStorage"/> must do, run against a real store. Each test works under its own
/// project prefix, so leftovers are found by listing that prefix in every container/bucket the driver writes to.
/// </summary>
public abstract class BackupStorageConformance
{
    protected string Project { get; } = "t" + Guid.NewGuid().ToString("N")[..10];

    protected abstract IBackupStorage Storage { get; }

    /// <summary>The size of the pieces (segments, parts) the driver uploads a backup in, as configured for the tests.</summary>
    protected abstract long PartSize { get; }

    /// <summary>Everything stored under <see cref="Project"/>: objects, segments, parts of unfinished uploads.</summary>
    protected abstract Task<List<string>> StoredUnderProjectAsync();

    /// <summary>Whether the store frees an overwritten backup's pieces (segments, parts) itself.</summary>
    protected virtual bool OverwriteFreesOldPieces => true;

    /// <summary>A storage whose credentials are wrong, and the secret it was given.</summary>
    protected abstract (IBackupStorage Storage, string Secret) WithWrongCredentials();

    [SwiftTheory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3 * 1024 * 1024 + 17)]
    public async Task Put_ThenRead_GivesTheSameBytesAndSize(int size) => await RoundTripAsync($"{Project}/b{size}", size);

    [SwiftTheory]
    [InlineData(2, 0)]
    [InlineData(2, 12345)]
    public async Task Put_OfSeveralParts_ThenRead_GivesTheSameBytesAndSize(int parts, int extra) =>
        await RoundTripAsync($"{Project}/b{parts}x{extra}", parts * PartSize + extra);

    [SwiftFact]
    public async Task Put_OverAnExistingBackup_ReplacesIt_AndLeavesNothingOfTheOldOne()
    {
        var key = $"{Project}/b1";
        await Storage.PutAsync(key, new RandomSource(2 * PartSize + 10, seed: 1), default);
        var before = await StoredUnderProjectAsync();

        var replacement = new RandomSource(PartSize / 2 + 3, seed: 2);
        await Storage.PutAsync(key, replacement, default);

        Assert.Equal(PartSize / 2 + 3, await Storage.GetSizeAsync(key, default));
        await using (var read = await Storage.OpenReadAsync(key, default))
        {
            Assert.Equal(replacement.Sha256, (await RandomSource.HashAsync(read)).Sha256);
        }

        var after = await StoredUnderProjectAsync();
        if (OverwriteFreesOldPieces)
        {
            Assert.True(after.Count < before.Count, $"The old backup's pieces are still there: {string.Join(", ", after)}");
            await Storage.DeleteAsync(key, default);
            Assert.Empty(await StoredUnderProjectAsync());
        }
        else
        {
            Assert.Contains(key, after);
        }
    }

    [SwiftFact]
    public async Task Delete_RemovesTheBackupAndAllItsPieces_AndIsIdempotent()
    {
        var key = $"{Project}/b1";
        await Storage.PutAsync(key, new RandomSource(2 * PartSize + 1), default);
        Assert.NotEmpty(await StoredUnderProjectAsync());

        await Storage.DeleteAsync(key, default);
        await Storage.DeleteAsync(key, default);

        Assert.Null(await Storage.GetSizeAsync(key, default));
        Assert.Empty(await StoredUnderProjectAsync());
        await Assert.ThrowsAsync<FileNotFoundException>(() => Storage.OpenReadAsync(key, default));
    }

    [SwiftFact]
    public async Task Put_WhoseSourceFailsMidway_FailsWithTheSourcesError_AndLeavesNothing()
    {
        var key = $"{Project}/b1";
        var failing = new RandomSource(10 * PartSize, failAfter: 2 * PartSize + 100);

        var error = await Assert.ThrowsAsync<IOException>(() => Storage.PutAsync(key, failing, default));

        Assert.Equal("The connection was reset.", error.Message);
        Assert.Null(await Storage.GetSizeAsync(key, default));
        Assert.Empty(await StoredUnderProjectAsync());
    }

    [SwiftFact]
    public async Task Put_CancelledMidway_LeavesNothing()
    {
        var key = $"{Project}/b1";
        using var cancel = new CancellationTokenSource();
        var source = new CancellingSource(new RandomSource(10 * PartSize), cancel, after: 2 * PartSize + 100);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Storage.PutAsync(key, source, cancel.Token));

        Assert.Null(await Storage.GetSizeAsync(key, default));
        Assert.Empty(await StoredUnderProjectAsync());
    }

    [SwiftFact]
    public async Task A_MissingBackup_IsNotFound_HasNoSize_AndDeletes()
    {
        var key = $"{Project}/never";

        await Assert.ThrowsAsync<FileNotFoundException>(() => Storage.OpenReadAsync(key, default));
        Assert.Null(await Storage.GetSizeAsync(key, default));
        await Storage.DeleteAsync(key, default);
    }

    [SwiftFact]
    public async Task WrongCredentials_GiveAClearError_WithoutTheSecret()
    {
        var (storage, secret) = WithWrongCredentials();
        using (storage as IDisposable)
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => storage.PutAsync($"{Project}/b1", new RandomSource(10), default));

            Assert.Matches(" 40[13] ", error.Message);
            foreach (var e in new[] { error, error.InnerException })
            {
                Assert.DoesNotContain(secret, e?.ToString() ?? "", StringComparison.Ordinal);
            }
        }
    }

    [SwiftTheory]
    [InlineData("../etc/passwd")]
    [InlineData("p1/b 1")]
    [InlineData("p1/b1.segments")]
    [InlineData("")]
    public async Task KeysOutsideTheKeyAlphabet_AreRefused_BeforeAnyRequest(string key)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Storage.PutAsync(key, new MemoryStream([1]), default));
        await Assert.ThrowsAsync<ArgumentException>(() => Storage.OpenReadAsync(key, default));
        await Assert.ThrowsAsync<ArgumentException>(() => Storage.DeleteAsync(key, default));
    }

    private async Task RoundTripAsync(string key, long size)
    {
        var source = new RandomSource(size);
        var location = await Storage.PutAsync(key, source, default);

        Assert.EndsWith("/" + key, location, StringComparison.Ordinal);
        Assert.Equal(size, await Storage.GetSizeAsync(key, default));
        await using var read = await Storage.OpenReadAsync(key, default);
        var (sha, length) = await RandomSource.HashAsync(read);
        Assert.Equal(size, length);
        Assert.Equal(source.Sha256, sha);
    }

    /// <summary>Cancels the token after handing out <c>after</c> bytes, as a caller giving up midway does.</summary>
    private sealed class CancellingSource(Stream inner, CancellationTokenSource cancel, long after) : Stream
    {
        private long _given;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _given; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_given >= after)
            {
                cancel.Cancel();
            }

            var n = inner.Read(buffer, offset, count);
            _given += n;
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_given >= after)
            {
                await cancel.CancelAsync();
            }

            cancellationToken.ThrowIfCancellationRequested();
            var n = await inner.ReadAsync(buffer, cancellationToken);
            _given += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
