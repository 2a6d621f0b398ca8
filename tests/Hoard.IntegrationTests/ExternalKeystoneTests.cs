using System.Diagnostics;
using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Hoard.IntegrationTests;

/// <summary>
/// hoard-server with <c>Hoard:Identity:Mode=keystone</c> against a real Keystone (Debian's python3-keystone): users log in
/// to Keystone, the stock client finds Hoard through Keystone's catalog, and Hoard checks each token with Keystone,
/// caching a valid answer for a few seconds.
/// </summary>
[Collection(ExternalKeystoneCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ExternalKeystoneTests(ExternalKeystoneFixture fixture, ITestOutputHelper output)
{
    private TroveClient Hoard => fixture.Hoard.Client;

    [KeystoneFact]
    public async Task KeystoneTokens_WorkOnHoard_WithTheirProjectAndRoles()
    {
        output.WriteLine($"Keystone: keystone-manage db_sync, fernet/credential setup, bootstrap and uwsgi up in {fixture.Keystone.StartupTime.TotalSeconds:F1} s");
        var cli = await OpenStackCli.RunWithAsync(fixture.Keystone.OpenRc("alice", ExternalKeystoneFixture.Password, "team"),
            "database", "instance", "list", "-f", "json");
        Assert.True(cli.Succeeded, cli.ToString());
        Assert.Equal("[]", cli.Stdout.Trim());

        var alice = await fixture.LoginAsync("alice");
        Assert.Equal(fixture.TeamProjectId, alice.ProjectId);
        TroveClient.Expect(await Hoard.GetAsync(alice, "instances"), 200);
        var write = await Hoard.PostAsync(alice, "configurations", "{}");
        Assert.True(write.Status is 400 or 422, $"a member's write should pass the policy and fail validation: {write}");
        TroveClient.Expect(await Hoard.GetAsync(alice, "mgmt/instances"), 401);

        var rita = await fixture.LoginAsync("rita");
        TroveClient.Expect(await Hoard.GetAsync(rita, "instances"), 200);
        TroveClient.Expect(await Hoard.PostAsync(rita, "instances", TroveClient.InstanceBody("no", "shop", "app", "Reader-Pw-1").ToJsonString()), 403);
        TroveClient.Expect(await Hoard.GetAsync(rita with { ProjectId = fixture.KeystoneAdmin.ProjectId }, "instances"), 403);

        // Keystone's admin holds admin (which implies member and reader) on project admin.
        TroveClient.Expect(await Hoard.GetAsync(fixture.KeystoneAdmin, "mgmt/instances"), 200);
        TroveClient.Expect(await Hoard.GetAsync(alice with { Token = "not-a-token" }, "instances"), 401);
        // Hoard's own identity API is off: tokens come from Keystone only.
        var login = await Hoard.SendAsync(HttpMethod.Post, "/v3/auth/tokens", body: "{}");
        Assert.True(login.Status is 404 or 405, login.ToString());
    }

    [KeystoneFact]
    public async Task KeystoneApplicationCredentials_WorkOnHoard_WithOnlyTheirRoles()
    {
        var alice = await fixture.LoginAsync("alice");
        var userId = (await fixture.Keystone.Client.SendAsync(HttpMethod.Get, "/v3/auth/tokens", alice.Token, headers: [("X-Subject-Token", alice.Token)]))
            .Object["token"]!["user"]!["id"]!.GetValue<string>();
        var created = await fixture.Keystone.Client.SendAsync(HttpMethod.Post, $"/v3/users/{userId}/application_credentials", alice.Token,
            new JsonObject
            {
                ["application_credential"] = new JsonObject
                {
                    ["name"] = "ro-" + Guid.NewGuid().ToString("N")[..6], ["roles"] = new JsonArray(new JsonObject { ["name"] = "reader" }),
                },
            }.ToJsonString());
        Assert.True(created.Status == 201, created.ToString());
        var (id, secret) = (created.Object["application_credential"]!["id"]!.GetValue<string>(),
            created.Object["application_credential"]!["secret"]!.GetValue<string>());

        var list = await OpenStackCli.RunWithApplicationCredentialAsync(fixture.Keystone.Url + "/v3", id, secret, "database", "instance", "list");
        Assert.True(list.Succeeded, list.ToString());
        var create = await OpenStackCli.RunWithApplicationCredentialAsync(fixture.Keystone.Url + "/v3", id, secret, "database", "instance", "create",
            "no", "--flavor", "1", "--size", "1", "--datastore", "mariadb", "--datastore-version", "10.11");
        Assert.False(create.Succeeded);
        Assert.Contains("HTTP 403", create.Stderr, StringComparison.Ordinal);
    }

    [KeystoneFact]
    public async Task ARevokedToken_StopsWorkingWithinTheCacheTime()
    {
        var alice = await fixture.LoginAsync("alice");
        TroveClient.Expect(await Hoard.GetAsync(alice, "instances"), 200);

        var revoked = await fixture.Keystone.Client.SendAsync(HttpMethod.Delete, "/v3/auth/tokens", alice.Token, headers: [("X-Subject-Token", alice.Token)]);
        Assert.True(revoked.Status == 204, revoked.ToString());
        var watch = Stopwatch.StartNew();
        await Poll.UntilAsync(async () => (await Hoard.GetAsync(alice, "instances")).Status == 401,
            "Hoard kept accepting a token Keystone had revoked", ExternalKeystoneFixture.CacheSeconds + 5, intervalMs: 200);
        output.WriteLine($"revoked token refused by Hoard after {watch.Elapsed.TotalSeconds:F1} s (cache {ExternalKeystoneFixture.CacheSeconds} s)");

        var fresh = await fixture.LoginAsync("alice");
        TroveClient.Expect(await Hoard.GetAsync(fresh, "instances"), 200);
    }

    [KeystoneFact]
    public async Task WhenKeystoneRevokesHoardsServiceToken_HoardLogsInAgain_AndTheRequestWorks()
    {
        const string loggedIn = "Keystone: service user 'trove' logged in";
        int LoginsLogged() => fixture.Hoard.ServerLog.Split('\n').Count(l => l.Contains(loggedIn, StringComparison.Ordinal));
        TroveClient.Expect(await Hoard.GetAsync(await fixture.LoginAsync("alice"), "instances"), 200);
        var before = LoginsLogged();
        Assert.True(before >= 1, "hoard-server should have logged its service user in:\n" + fixture.Hoard.ServerLog);

        await fixture.RevokeTokensOfAsync(fixture.ServiceUserId);
        var alice = await fixture.LoginAsync("alice");

        TroveClient.Expect(await Hoard.GetAsync(alice, "instances"), 200);
        Assert.Equal(before + 1, LoginsLogged());
    }

    [KeystoneFact]
    public async Task AWrongServicePassword_IsAReadable503_NotA500()
    {
        const string wrong = "Not-The-Service-Password-42";
        var misconfigured = new HoardServerFixture(fixture.Settings(wrong));
        try
        {
            await misconfigured.StartWithoutBuiltInIdentityAsync();
            var alice = await fixture.LoginAsync("alice");
            for (var attempt = 0; attempt < 3; attempt++)
            {
                var refused = TroveClient.Expect(await misconfigured.Client.GetAsync(alice, "instances"), 503);
                var message = refused.Object["serviceUnavailable"]!["message"]!.GetValue<string>();
                Assert.Contains("refused hoard-server's service user 'trove'", message, StringComparison.Ordinal);
                Assert.Contains("ServicePassword", message, StringComparison.Ordinal);
            }

            Assert.True(misconfigured.ServerLogged(l => l.Contains("refused hoard-server's service user 'trove'", StringComparison.Ordinal)),
                "the start-up check should log why Keystone refused:\n" + misconfigured.ServerLog);
            Assert.False(misconfigured.ServerLogged(l => l.Contains(wrong, StringComparison.Ordinal)), "the service password reached the log");
            TroveClient.Expect(await misconfigured.Client.GetAsync(alice, "instances"), 503);
        }
        finally
        {
            await misconfigured.DisposeAsync();
        }
    }
}
