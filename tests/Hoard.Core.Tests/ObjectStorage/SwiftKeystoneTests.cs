using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Hoard.Core.Tests.Backups;
using Hoard.Providers.ObjectStorage.Swift;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hoard.Core.Tests.ObjectStorage;

/// <summary>
/// Keystone v3 authentication. The private Swift has no keystone middleware, so a small Keystone stands in for it: it
/// checks the password, records each request, and answers with a real tempauth token and a catalog whose only right
/// object-store endpoint (public, RegionTwo) is the real Swift; the others point at a closed port.
/// </summary>
[Collection(SwiftCollection.Name)]
public sealed class SwiftKeystoneTests(SwiftFixture swift) : IAsyncLifetime
{
    private const string Container = "hoard_keystone";
    private readonly string _password = "pw-" + Guid.NewGuid().ToString("N");
    private readonly ConcurrentQueue<JsonNode> _requests = new();
    private WebApplication? _keystone;
    private string _authUrl = "";
    private int _bogusTokensLeft;

    public async Task InitializeAsync()
    {
        if (SwiftFixture.SkipReason is not null)
        {
            return;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _keystone = builder.Build();
        _keystone.MapPost("/v3/auth/tokens", IssueTokenAsync);
        await _keystone.StartAsync();
        _authUrl = _keystone.Urls.Single() + "/v3";
    }

    public async Task DisposeAsync()
    {
        if (_keystone is not null)
        {
            await _keystone.DisposeAsync();
        }
    }

    [SwiftFact]
    public async Task PasswordAuth_ScopedToTheProject_UsesTheRegionsPublicObjectStore_AndCachesTheToken()
    {
        using var storage = new SwiftBackupStorage(Options());
        var source = new RandomSource((1 << 20) + 100);

        var location = await storage.PutAsync("kp/b1", source, default);
        await using (var read = await storage.OpenReadAsync("kp/b1", default))
        {
            Assert.Equal(source.Sha256, (await RandomSource.HashAsync(read)).Sha256);
        }

        Assert.Equal((1 << 20) + 100, await storage.GetSizeAsync("kp/b1", default));
        await storage.DeleteAsync("kp/b1", default);

        var (_, storageUrl) = await swift.AuthenticateAsync();
        Assert.Equal($"{storageUrl}/{Container}/kp/b1", location);
        var request = Assert.Single(_requests);
        var expected = JsonNode.Parse($$"""
            { "auth": { "identity": { "methods": ["password"],
                                      "password": { "user": { "name": "hoard", "password": "{{_password}}", "domain": { "name": "Default" } } } },
                        "scope": { "project": { "name": "services", "domain": { "name": "Default" } } } } }
            """);
        Assert.True(JsonNode.DeepEquals(expected, request), request.ToJsonString());
    }

    [SwiftFact]
    public async Task A_ProjectId_ScopesByIdAlone()
    {
        var options = Options();
        options.ProjectId = "0123abcd";
        using var storage = new SwiftBackupStorage(options);

        Assert.Null(await storage.GetSizeAsync("kp/none", default));

        var scope = Assert.Single(_requests)["auth"]!["scope"]!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"project": {"id": "0123abcd"}}"""), scope), scope.ToJsonString());
    }

    [SwiftFact]
    public async Task A_RejectedToken_IsRenewedOnce_AndTheRequestRepeated()
    {
        using var storage = new SwiftBackupStorage(Options());
        _bogusTokensLeft = 1;

        Assert.Null(await storage.GetSizeAsync("kp/none", default));

        Assert.Equal(2, _requests.Count);
    }

    [SwiftFact]
    public async Task A_TokenRejectedTwice_FailsAfterOneRenewal_WithoutTheToken()
    {
        using var storage = new SwiftBackupStorage(Options());
        _bogusTokensLeft = 100;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => storage.GetSizeAsync("kp/none", default));

        Assert.Equal(2, _requests.Count);
        Assert.StartsWith("Swift head /v1/AUTH_test/hoard_keystone/kp/none failed: 401", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("bogus", error.ToString(), StringComparison.Ordinal);
    }

    [SwiftFact]
    public async Task A_TokenAboutToExpire_IsRenewedBeforeItIsUsed()
    {
        var time = new ManualTime(DateTimeOffset.UtcNow);
        using var storage = new SwiftBackupStorage(Options(), time: time);
        await storage.GetSizeAsync("kp/none", default);
        await storage.GetSizeAsync("kp/none", default);
        Assert.Single(_requests);

        time.Now += TimeSpan.FromMinutes(59);
        await storage.GetSizeAsync("kp/none", default);

        Assert.Equal(2, _requests.Count);
    }

    [SwiftFact]
    public async Task A_WrongPassword_GivesAClearError_WithoutThePassword()
    {
        var options = Options();
        options.Key = "wrong-" + Guid.NewGuid().ToString("N");
        using var storage = new SwiftBackupStorage(options);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => storage.PutAsync("kp/b1", new RandomSource(1), default));

        Assert.Equal($"Swift authentication at {_authUrl}/auth/tokens failed: 401 Unauthorized (check the user, key and project).", error.Message);
        Assert.DoesNotContain(options.Key, error.ToString(), StringComparison.Ordinal);
    }

    [SwiftFact]
    public async Task A_RegionWithoutObjectStore_GivesAClearError()
    {
        var options = Options();
        options.Region = "RegionNine";
        using var storage = new SwiftBackupStorage(options);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => storage.GetSizeAsync("kp/b1", default));

        Assert.Equal("Keystone's catalog has no object-store endpoint with interface 'public' in region 'RegionNine'.", error.Message);
    }

    private SwiftOptions Options() => new()
    {
        AuthUrl = _authUrl, Username = "hoard", Key = _password, ProjectName = "services", Region = "RegionTwo",
        Container = Container, SegmentSizeBytes = 1 << 20,
    };

    private async Task IssueTokenAsync(HttpContext context)
    {
        var body = (await JsonNode.ParseAsync(context.Request.Body))!;
        _requests.Enqueue(body);
        if ((string?)body["auth"]?["identity"]?["password"]?["user"]?["password"] != _password)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            await context.Response.WriteAsync("""{"error": {"code": 401, "message": "The request you have made requires authentication.", "title": "Unauthorized"}}""");
            return;
        }

        var (token, storageUrl) = await swift.AuthenticateAsync();
        if (Interlocked.Decrement(ref _bogusTokensLeft) >= 0)
        {
            token = "AUTH_tkbogus" + Guid.NewGuid().ToString("N");
        }

        const string Closed = "http://127.0.0.1:9/v1/AUTH_wrong";
        var answer = new JsonObject
        {
            ["token"] = new JsonObject
            {
                ["methods"] = new JsonArray("password"),
                ["expires_at"] = DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", System.Globalization.CultureInfo.InvariantCulture),
                ["catalog"] = new JsonArray(
                    Service("identity", Endpoint("public", "RegionTwo", _authUrl)),
                    Service("object-store",
                        Endpoint("public", "RegionOne", Closed),
                        Endpoint("internal", "RegionTwo", Closed),
                        Endpoint("admin", "RegionTwo", Closed),
                        Endpoint("public", "RegionTwo", storageUrl))),
            },
        };
        context.Response.StatusCode = (int)HttpStatusCode.Created;
        context.Response.Headers["X-Subject-Token"] = token;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer.ToJsonString());
    }

    private static JsonObject Service(string type, params JsonNode[] endpoints) =>
        new() { ["type"] = type, ["name"] = type, ["endpoints"] = new JsonArray(endpoints) };

    private static JsonObject Endpoint(string @interface, string region, string url) =>
        new() { ["interface"] = @interface, ["region"] = region, ["region_id"] = region, ["url"] = url, ["id"] = Guid.NewGuid().ToString("N") };
}
