using Hoard.Tests.Shared;
namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>
/// A private Swift and two more hoard-servers that keep their backups in it: one through the Swift API, one through
/// its S3 API. Each server gets its storage settings, the key included, only in its environment. Nothing starts where
/// <see cref="SwiftAio.SkipReason"/> says the tests are skipped.
/// </summary>
public sealed class ObjectStorageFixture : IAsyncLifetime
{
    /// <summary>The S3 bucket; S3 names allow no '_', so not the Swift driver's default container.</summary>
    public const string S3Bucket = "hoard-it-backups";

    /// <summary>The Swift driver's default container (Trove's).</summary>
    public const string SwiftContainer = "database_backups";

    internal SwiftAio Swift { get; private set; } = null!;

    /// <summary>A hoard-server with <c>BackupStorage=swift</c>.</summary>
    public HoardServerFixture SwiftServer { get; private set; } = null!;

    /// <summary>A hoard-server with <c>BackupStorage=s3</c>, against Swift's s3api.</summary>
    public HoardServerFixture S3Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (SwiftAio.SkipReason is not null)
        {
            return;
        }

        try
        {
            Swift = await SwiftAio.StartAsync("hoard-it-swift-");
            // One after the other: each picks its instances' loopback range from what is not yet listening. A server
            // that fails to start cleans up after itself, so it is kept only once it runs.
            var swiftServer = new HoardServerFixture(new Dictionary<string, string>
            {
                ["Hoard__BackupStorage"] = "swift",
                ["Hoard__Swift__AuthUrl"] = Swift.AuthUrl,
                ["Hoard__Swift__Username"] = Swift.User,
                ["Hoard__Swift__Key"] = Swift.Key,
                ["Hoard__Swift__Container"] = SwiftContainer,
            });
            await swiftServer.InitializeAsync();
            SwiftServer = swiftServer;
            var s3Server = new HoardServerFixture(new Dictionary<string, string>
            {
                ["Hoard__BackupStorage"] = "s3",
                ["Hoard__S3__Endpoint"] = Swift.S3Endpoint,
                ["Hoard__S3__Region"] = "us-east-1",
                ["Hoard__S3__AccessKey"] = Swift.User,
                ["Hoard__S3__SecretKey"] = Swift.Key,
                ["Hoard__S3__Bucket"] = S3Bucket,
            });
            await s3Server.InitializeAsync();
            S3Server = s3Server;
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var server in new[] { SwiftServer, S3Server }.Where(s => s is not null))
        {
            await server.DisposeAsync();
        }

        if (Swift is not null)
        {
            await Swift.DisposeAsync();
        }
    }
}
