using Hoard.Core.Backups;
using Hoard.Providers.ObjectStorage.Swift;

namespace Hoard.Core.Tests.ObjectStorage;

/// <summary>The Swift driver against a real Swift (tempauth), with 1 MiB segments.</summary>
[Collection(SwiftCollection.Name)]
public sealed class SwiftBackupStorageTests(SwiftFixture swift) : BackupStorageConformance, IDisposable
{
    private const string Container = "hoard_tests";
    // Lazily: without Swift the fixture has no credentials, and the tests that need none still run.
    private readonly Lazy<SwiftBackupStorage> _storage = new(() => new SwiftBackupStorage(swift.SwiftOptions(Container)));

    protected override IBackupStorage Storage => _storage.Value;

    protected override long PartSize => 1 << 20;

    public void Dispose()
    {
        if (_storage.IsValueCreated)
        {
            _storage.Value.Dispose();
        }
    }

    protected override async Task<List<string>> StoredUnderProjectAsync() =>
    [
        .. (await swift.ListAsync(Container, Project)).Select(o => o.Name),
        .. (await swift.ListAsync(Container + "_segments", Project)).Select(o => "segment " + o.Name),
    ];

    protected override (IBackupStorage Storage, string Secret) WithWrongCredentials()
    {
        var options = swift.SwiftOptions(Container);
        options.Key = "wrong-" + Guid.NewGuid().ToString("N");
        return (new SwiftBackupStorage(options), options.Key);
    }

    [SwiftFact]
    public async Task Put_StoresAStaticLargeObject_OfSegmentsOfTheConfiguredSize_UnderItsLocation()
    {
        var key = $"{Project}/b1";
        var source = new RandomSource((2 << 20) + 5);

        var location = await Storage.PutAsync(key, source, default);

        var (_, storageUrl) = await swift.AuthenticateAsync();
        Assert.Equal($"{storageUrl}/{Container}/{key}", location);
        Assert.Equal(source.Sha256, System.Security.Cryptography.SHA256.HashData(await swift.GetAsync(location)));
        var segments = await swift.ListAsync(Container + "_segments", Project);
        Assert.Equal([1 << 20, 1 << 20, 5], segments.Select(s => s.Bytes));
        Assert.All(segments, s => Assert.Matches($"^{key}\\.[0-9a-f]{{16}}/00000[123]$", s.Name));
        Assert.Equal([(key, (2L << 20) + 5)], await swift.ListAsync(Container, Project));
    }

    [SwiftFact]
    public async Task A_TokenSwiftNoLongerKnows_IsRenewed_AndTheRequestRepeated_EvenASegmentsPut()
    {
        var log = new List<string>();
        using var http = new HttpClient(new RecordingHandler(log)) { Timeout = Timeout.InfiniteTimeSpan };
        using var storage = new SwiftBackupStorage(swift.SwiftOptions(Container), http);
        await storage.PutAsync($"{Project}/b1", new RandomSource(10), default);
        await swift.ForgetTokensAsync();
        log.Clear();

        // The containers exist by now: the first request of this put is a segment's, with the forgotten token.
        var source = new RandomSource((1 << 20) + 1);
        await storage.PutAsync($"{Project}/b2", source, default);

        Assert.Equal(["PUT segment 401", "GET /auth/v1.0 200", "PUT segment 201", "PUT segment 201", "PUT manifest 201"], log.Take(5));
        await using var read = await storage.OpenReadAsync($"{Project}/b2", default);
        Assert.Equal(source.Sha256, (await RandomSource.HashAsync(read)).Sha256);
    }

    [SwiftFact]
    public async Task Delete_RemovesSegmentsThatAnInterruptedPutLeft()
    {
        var key = $"{Project}/b1";
        await Storage.PutAsync(key, new RandomSource((1 << 20) + 1), default);
        var (token, storageUrl) = await swift.AuthenticateAsync();
        using (var http = new HttpClient())
        {
            // What a server that crashed between two segments leaves: a segment without a manifest.
            using var put = new HttpRequestMessage(HttpMethod.Put, $"{storageUrl}/{Container}_segments/{key}.0123456789abcdef/000001")
            {
                Content = new ByteArrayContent([1, 2, 3]),
            };
            put.Headers.Add("X-Auth-Token", token);
            (await http.SendAsync(put)).EnsureSuccessStatusCode();
        }

        await Storage.DeleteAsync(key, default);

        Assert.Empty(await StoredUnderProjectAsync());
    }

    [Fact]
    public void Options_AreValidated_BeforeAnyRequest()
    {
        var errors = new SwiftOptions { AuthUrl = "http://swift:8080/auth/v2.0", SegmentSizeBytes = 1000, Container = "a/b" }.Validate();

        Assert.Contains(errors, e => e.Contains("/auth/v1.0", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Username", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Key", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("SegmentSizeBytes", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Container", StringComparison.Ordinal));
        Assert.Contains(
            new SwiftOptions { AuthUrl = "https://keystone:5000/v3", Username = "u", Key = "k" }.Validate(),
            e => e.Contains("ProjectName", StringComparison.Ordinal));
        Assert.Empty(new SwiftOptions { AuthUrl = "https://keystone:5000/v3/", Username = "u", Key = "k", ProjectName = "p" }.Validate());
        Assert.Throws<ArgumentException>(() => new SwiftBackupStorage(new SwiftOptions()));
    }

    /// <summary>Notes each request's method, what it was for, and the answer's status.</summary>
    private sealed class RecordingHandler(List<string> log) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            var uri = request.RequestUri!;
            var what = uri.AbsolutePath.Contains("_segments/", StringComparison.Ordinal) ? "segment"
                : uri.Query.Contains("multipart-manifest=put", StringComparison.Ordinal) ? "manifest"
                : uri.AbsolutePath;
            lock (log)
            {
                log.Add($"{request.Method} {what} {(int)response.StatusCode}");
            }

            return response;
        }
    }
}
