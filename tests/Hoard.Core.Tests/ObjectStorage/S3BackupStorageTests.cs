using Amazon.S3.Model;
using Hoard.Core.Backups;
using Hoard.Providers.ObjectStorage.S3;

namespace Hoard.Core.Tests.ObjectStorage;

/// <summary>The S3 driver against Swift's s3api (path-style, SigV4), with 5 MiB parts (S3's minimum).</summary>
[Collection(SwiftCollection.Name)]
public sealed class S3BackupStorageTests(SwiftFixture swift) : BackupStorageConformance, IDisposable
{
    private const string Bucket = "hoard-tests";
    // Lazily: without Swift the fixture has no credentials, and the tests that need none still run.
    private readonly Lazy<S3BackupStorage> _storage = new(() => new S3BackupStorage(swift.S3Options(Bucket)));

    protected override IBackupStorage Storage => _storage.Value;

    protected override long PartSize => 5 << 20;

    /// <summary>
    /// Swift's s3api (2.30) leaves the segments of a multipart object that a PUT replaces (AWS frees them); only a
    /// DELETE removes them. Hoard never overwrites a complete backup (keys are backup ids), so this costs nothing there.
    /// </summary>
    protected override bool OverwriteFreesOldPieces => false;

    public void Dispose()
    {
        if (_storage.IsValueCreated)
        {
            _storage.Value.Dispose();
        }
    }

    /// <summary>What S3 lists (objects, unfinished uploads) and what Swift holds beneath (s3api keeps parts in <c>&lt;bucket&gt;+segments</c>).</summary>
    protected override async Task<List<string>> StoredUnderProjectAsync()
    {
        var client = _storage.Value.Client;
        var objects = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = Project });
        var uploads = await client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = Bucket, Prefix = Project });
        return
        [
            .. (objects.S3Objects ?? []).Select(o => o.Key),
            .. (uploads.MultipartUploads ?? []).Select(u => $"upload {u.Key} {u.UploadId}"),
            .. (await swift.ListAsync(Bucket + "+segments", Project)).Select(o => "segment " + o.Name),
        ];
    }

    protected override (IBackupStorage Storage, string Secret) WithWrongCredentials()
    {
        var options = swift.S3Options(Bucket);
        options.SecretKey = "wrong-" + Guid.NewGuid().ToString("N");
        return (new S3BackupStorage(options), options.SecretKey);
    }

    [SwiftFact]
    public async Task Put_ReturnsThePathStyleObjectUrl_AndCreatesTheBucket()
    {
        var options = swift.S3Options("hoard-tests-" + Project);
        using var storage = new S3BackupStorage(options);

        var location = await storage.PutAsync($"{Project}/b1", new RandomSource(1), default);

        Assert.Equal($"{swift.S3Endpoint}/{options.Bucket}/{Project}/b1", location);
        Assert.Single(await swift.ListAsync(options.Bucket));
        await storage.DeleteAsync($"{Project}/b1", default);
        Assert.Empty(await swift.ListAsync(options.Bucket));
    }

    [SwiftFact]
    public async Task Delete_AbortsUnfinishedUploadsOfTheKey_AndTheirParts_ButNotOthers()
    {
        await Storage.PutAsync($"{Project}/other", new RandomSource(10), default);
        var client = _storage.Value.Client;
        // What a server that crashed during a put leaves: an upload with a part.
        var started = await client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = Bucket, Key = $"{Project}/b1" });
        await client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = Bucket, Key = $"{Project}/b1", UploadId = started.UploadId, PartNumber = 1,
            InputStream = new MemoryStream(new byte[5 << 20]), UseChunkEncoding = false,
        });
        Assert.Contains(await StoredUnderProjectAsync(), n => n.StartsWith("segment ", StringComparison.Ordinal));

        await Storage.DeleteAsync($"{Project}/b1", default);

        Assert.Equal([$"{Project}/other"], await StoredUnderProjectAsync());
    }

    [SwiftFact]
    public async Task Put_WithOnePartInFlight_AndWithThree_StoresTheSameBytes()
    {
        foreach (var concurrency in new[] { 1, 3 })
        {
            var options = swift.S3Options(Bucket);
            options.UploadConcurrency = concurrency;
            using var storage = new S3BackupStorage(options);
            var source = new RandomSource(4 * PartSize + 7, seed: concurrency);

            await storage.PutAsync($"{Project}/c{concurrency}", source, default);

            await using var read = await storage.OpenReadAsync($"{Project}/c{concurrency}", default);
            Assert.Equal(source.Sha256, (await RandomSource.HashAsync(read)).Sha256);
        }
    }

    [Fact]
    public void PartSize_DoublesEvery1000Parts_UpTo1GiB_SoTenThousandPartsHoldAbout5TB()
    {
        const long MiB = 1 << 20;
        Assert.Equal(16 * MiB, S3MultipartUpload.PartSize(16 * MiB, 1));
        Assert.Equal(16 * MiB, S3MultipartUpload.PartSize(16 * MiB, 1000));
        Assert.Equal(32 * MiB, S3MultipartUpload.PartSize(16 * MiB, 1001));
        Assert.Equal(1024 * MiB, S3MultipartUpload.PartSize(16 * MiB, 10_000));
        var total = Enumerable.Range(1, S3Options.MaxParts).Sum(n => S3MultipartUpload.PartSize(16 * MiB, n));
        Assert.InRange(total, 4_900_000 * MiB, 5_500_000 * MiB);
    }

    [Fact]
    public void Options_AreValidated_BeforeAnyRequest()
    {
        var errors = new S3Options { Endpoint = "ftp://x", Bucket = "database_backups", PartSizeBytes = 1 << 20, UploadConcurrency = 0 }.Validate();

        Assert.Contains(errors, e => e.StartsWith("Endpoint", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Bucket", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("AccessKey", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("PartSizeBytes", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("UploadConcurrency", StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => new S3BackupStorage(new S3Options()));
    }
}
