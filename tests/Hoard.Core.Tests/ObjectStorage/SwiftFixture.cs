using System.Net;
using System.Net.Sockets;
using Hoard.Providers.ObjectStorage.S3;
using Hoard.Providers.ObjectStorage.Swift;
using Hoard.Tests.Shared;

namespace Hoard.Core.Tests.ObjectStorage;

/// <summary>
/// One private Swift (proxy with tempauth and s3api, account/container/object servers, memcached) for the test run,
/// started by <c>scripts/swift-aio.sh</c> on free loopback ports in a temporary directory, and stopped and removed at
/// the end. Its credentials are read from the directory's <c>credentials</c> file, never printed.
/// </summary>
public sealed class SwiftFixture : IAsyncLifetime
{
    private SwiftAio? _swift;

    private SwiftAio Swift => _swift ?? throw new InvalidOperationException($"Swift is not running: {SkipReason}");

    public int Port => Swift.Port;

    public string AuthUrl => Swift.AuthUrl;
    public string User => Swift.User;
    public string Key => Swift.Key;
    public string S3Endpoint => Swift.S3Endpoint;
    public string S3AccessKey => Swift.S3AccessKey;
    public string S3SecretKey => Swift.S3SecretKey;

    /// <summary>Why the Swift tests do not run here, or null when they do.</summary>
    public static string? SkipReason => SwiftAio.SkipReason;

    public SwiftOptions SwiftOptions(string container) => new()
    {
        AuthUrl = AuthUrl, Username = User, Key = Key, Container = container, SegmentSizeBytes = 1 << 20,
    };

    public S3Options S3Options(string bucket) => new()
    {
        Endpoint = S3Endpoint, AccessKey = S3AccessKey, SecretKey = S3SecretKey, Bucket = bucket, PartSizeBytes = 5 << 20,
    };

    public async Task InitializeAsync()
    {
        if (SkipReason is null)
        {
            _swift = await SwiftAio.StartAsync("hoard-swift-tests-");
        }
    }

    public async Task DisposeAsync()
    {
        if (_swift is not null)
        {
            await _swift.DisposeAsync();
        }
    }

    /// <summary>A fresh tempauth token and the account's storage URL, as a user of Swift gets them.</summary>
    public Task<(string Token, string StorageUrl)> AuthenticateAsync() => Swift.AuthenticateAsync();

    /// <summary>Names and sizes of a container's objects whose names start with <paramref name="prefix"/>, straight from Swift.</summary>
    public Task<List<(string Name, long Bytes)>> ListAsync(string container, string prefix = "") => Swift.ListAsync(container, prefix);

    /// <summary>A GET of <paramref name="url"/> with a valid token.</summary>
    public async Task<byte[]> GetAsync(string url)
    {
        var (status, body) = await Swift.GetAsync(url);
        Assert.True(status == HttpStatusCode.OK, $"GET {url} answered {(int)status}");
        return body;
    }

    /// <summary>
    /// Forgets every tempauth token (they live only in memcached), as an expiry or a revocation would: the next request
    /// with an old token gets 401.
    /// </summary>
    public async Task ForgetTokensAsync()
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port + 4);
        var stream = client.GetStream();
        await stream.WriteAsync("flush_all\r\n"u8.ToArray());
        var answer = new byte[64];
        var n = await stream.ReadAsync(answer);
        Assert.Equal("OK\r\n", System.Text.Encoding.ASCII.GetString(answer, 0, n));
    }
}
