using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;
using Hoard.Persistence;

namespace Hoard.IntegrationTests;

[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class AuthTests(HoardServerFixture server)
{
    private TroveClient Client => server.Client;

    [Fact]
    public async Task NoToken_Is401InKeystoneFormat_WithWwwAuthenticate()
    {
        var response = await Client.SendAsync(HttpMethod.Get, $"/v1.0/{server.Admin.ProjectId}/instances");

        AssertKeystone401(response);
        Assert.True(response.Headers.WwwAuthenticate.Count > 0, $"401 without WWW-Authenticate: {response}");
        Assert.Equal($"Keystone uri=\"{server.BaseUrl}/v3\"", response.Headers.WwwAuthenticate.ToString());
    }

    [Theory]
    [InlineData("not-a-token")]
    [InlineData("gAAAAABlZ0xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")]
    public async Task BadToken_Is401(string token)
    {
        var response = await Client.SendAsync(HttpMethod.Get, $"/v1.0/{server.Admin.ProjectId}/instances", token);

        AssertKeystone401(response);
    }

    [Fact]
    public async Task TokenOfOneProject_OnAnotherProjectsPath_Is403Forbidden()
    {
        var response = await Client.SendAsync(HttpMethod.Get, $"/v1.0/{server.AdminProjectId}/instances", server.Admin.Token);

        var fault = AssertFault(response, 403, "forbidden");
        Assert.Contains(server.Admin.ProjectId, fault["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task WrongPassword_Is401AndIssuesNoToken()
    {
        var response = await Client.RequestTokenAsync("admin", server.AdminPassword + "x", "demo");

        AssertKeystone401(response);
        Assert.False(response.Headers.Contains("X-Subject-Token"), $"a token was issued for a wrong password: {response}");
    }

    [Fact]
    public async Task UnknownUser_Is401() =>
        AssertKeystone401(await Client.RequestTokenAsync("nobody", "whatever", "demo"));

    [Fact]
    public async Task UserWithoutARoleOnTheProject_Is401() =>
        AssertKeystone401(await Client.RequestTokenAsync(server.Other.UserName, server.OtherPassword, "demo"));

    [Fact]
    public async Task Login_Is201WithATokenAndACatalogPointingAtThisServer()
    {
        var response = await Client.RequestTokenAsync("admin", server.AdminPassword, "demo");

        Assert.True(response.Status == 201, response.ToString());
        Assert.False(string.IsNullOrEmpty(response.Headers.GetValues("X-Subject-Token").Single()));
        var token = response.Object["token"]!;
        Assert.Equal("demo", token["project"]!["name"]!.GetValue<string>());
        Assert.Contains(token["roles"]!.AsArray(), r => r!["name"]!.GetValue<string>() == "admin");
        var database = token["catalog"]!.AsArray().Single(s => s!["type"]!.GetValue<string>() == "database")!;
        Assert.Contains(database["endpoints"]!.AsArray(), e =>
            e!["interface"]!.GetValue<string>() == "public" &&
            e["url"]!.GetValue<string>() == $"{server.BaseUrl}/v1.0/{server.Admin.ProjectId}");
    }

    [Fact]
    public async Task RevokedToken_Is401()
    {
        var session = await Client.LoginAsync("admin", server.AdminPassword, "demo");
        TroveClient.Expect(await Client.GetAsync(session, "instances"), 200);

        var revoked = await Client.SendAsync(HttpMethod.Delete, "/v3/auth/tokens", server.Admin.Token,
            headers: [("X-Subject-Token", session.Token)]);

        Assert.True(revoked.Status == 204, revoked.ToString());
        AssertKeystone401(await Client.GetAsync(session, "instances"));
        TroveClient.Expect(await Client.GetAsync(server.Admin, "instances"), 200);
    }

    [Fact]
    public async Task ATokenRevokedByAnotherServerProcess_IsRefusedWithinTheTokenCacheTime()
    {
        var session = await Client.LoginAsync("admin", server.AdminPassword, "demo");
        TroveClient.Expect(await Client.GetAsync(session, "instances"), 200);

        // Another hoard-server sharing the state DB revokes it: this one learns of it only from the state DB, once its
        // cached validation is older than Hoard:Identity:TokenCacheSeconds (2 s by default).
        var other = new IdentityStore(new StateDb(Path.Combine(server.DataDir, "state.db")), TimeProvider.System);
        await other.RevokeTokenAsync(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(session.Token))), CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(2.1));

        AssertKeystone401(await Client.GetAsync(session, "instances"));
        TroveClient.Expect(await Client.GetAsync(server.Admin, "instances"), 200);
    }

    [Fact]
    public async Task IdentityDiscovery_Is200WithV3()
    {
        var response = await Client.SendAsync(HttpMethod.Get, "/v3");

        Assert.True(response.Status == 200, response.ToString());
        Assert.StartsWith("v3.", response.Object["version"]!["id"]!.GetValue<string>());
        Assert.Equal("stable", response.Object["version"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Versions_AreListedWithoutAToken()
    {
        var response = await Client.SendAsync(HttpMethod.Get, "/");

        Assert.True(response.Status == 200, response.ToString());
        var version = response.Object["versions"]!.AsArray().Single()!;
        Assert.Equal(("v1.0", "CURRENT"), (version["id"]!.GetValue<string>(), version["status"]!.GetValue<string>()));
    }

    [Fact]
    public async Task UnknownResource_Is404ItemNotFound() =>
        AssertFault(await Client.GetAsync(server.Admin, "no-such-collection"), 404, "itemNotFound");

    [Fact]
    public async Task Flavors_AreTheFiveDefaults()
    {
        var response = TroveClient.Expect(await Client.GetAsync(server.Admin, "flavors"), 200);

        var flavors = response.Object["flavors"]!.AsArray().Select(f => (f!["str_id"]!.GetValue<string>(), f["ram"]!.GetValue<int>())).ToList();
        Assert.Equal([("1", 512), ("2", 1024), ("3", 2048), ("4", 4096), ("5", 8192)], flavors.OrderBy(f => f.Item1));
        AssertFault(await Client.GetAsync(server.Admin, "flavors/999"), 404, "itemNotFound");
    }

    [Fact]
    public async Task Datastores_OfferMariaDb1011()
    {
        var response = TroveClient.Expect(await Client.GetAsync(server.Admin, "datastores"), 200);

        var mariadb = response.Object["datastores"]!.AsArray().Single(d => d!["name"]!.GetValue<string>() == "mariadb")!;
        Assert.Contains(mariadb["versions"]!.AsArray(), v => v!["name"]!.GetValue<string>() == "10.11");
        TroveClient.Expect(await Client.GetAsync(server.Admin, "datastores/mariadb/versions/10.11"), 200);
        AssertFault(await Client.GetAsync(server.Admin, "datastores/nosuch"), 404, "itemNotFound");
    }

    [Fact]
    public async Task Limits_ReportTheAbsoluteQuotas()
    {
        var response = TroveClient.Expect(await Client.GetAsync(server.Admin, "limits"), 200);

        var absolute = response.Object["limits"]!.AsArray().Single(l => l!["verb"]!.GetValue<string>() == "ABSOLUTE")!;
        Assert.True(absolute["max_instances"]!.GetValue<int>() > 0, absolute.ToJsonString());
    }

    internal static JsonObject AssertFault(ApiResponse response, int code, string name)
    {
        Assert.NotEqual(500, response.Status);
        Assert.True(response.Status == code, $"Expected {code} {name}, got {response}");
        var fault = response.Json?[name] as JsonObject;
        Assert.True(fault is not null, $"Expected a '{name}' fault body, got {response}");
        Assert.Equal(code, fault["code"]!.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(fault["message"]?.GetValue<string>()), $"Fault without a message: {response}");
        return fault;
    }

    private static void AssertKeystone401(ApiResponse response)
    {
        Assert.True(response.Status == 401, $"Expected 401, got {response}");
        Assert.Equal(401, response.Json?["error"]?["code"]?.GetValue<int>());
        Assert.Equal("Unauthorized", response.Json?["error"]?["title"]?.GetValue<string>());
    }
}
